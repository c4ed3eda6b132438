import Mustache
import TouchpointCore

/// JSON `null` as swift-mustache sees it: renders as nothing, is falsey in sections, and
/// still occupies its key so that lookups stop there instead of climbing the context stack.
struct MustacheNull: MustacheCustomRenderable, Sendable {
    /// Nothing: strict mode rejects a null variable before rendering anyway.
    var renderText: String { "" }
    /// Makes `{{#x}}` skip and `{{^x}}` render.
    var isNull: Bool { true }
}

/// Converts JSON context values into the plain values swift-mustache renders.
enum MustacheValue {
    /// Whether a JSON number becomes an `Int` (prints without ".0", takes integer transforms).
    @inlinable
    static func isInteger(_ n: Double) -> Bool {
        n.rounded() == n && abs(n) < 9_007_199_254_740_992
    }

    /// `[String: Any]`, `[Any]`, `String`, `Int`/`Double`, `Bool` or `MustacheNull`.
    static func convert(_ value: JSONValue) -> Any {
        switch value {
        case .null: return MustacheNull()
        case .bool(let b): return b
        case .number(let n): return isInteger(n) ? Int(n) : n
        case .string(let s): return s
        case .array(let a): return a.map(convert)
        case .object(let o): return o.mapValues(convert)
        }
    }
}
