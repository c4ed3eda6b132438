import Foundation
import TouchpointCore

/// Why a strict render refused a template.
struct StrictProblem: Error, Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A variable that does not resolve, or resolves to `null`.
        case missing
        /// A variable that resolves to a list or map, which has no text form.
        case notAValue(typeName: String)
        /// `{{> name}}` or `{{< name}}` names no partial (in any locale of the fallback chain).
        case unknownPartial
        /// Partials nested deeper than `MustacheWalk.maxDepth`: a recursion that does not end.
        case tooDeep
    }

    var kind: Kind
    /// The variable or partial name as written.
    var name: String
    /// The partial file the tag is in; `nil` when it is in the piece being rendered.
    var file: String?

    static func missing(_ name: String, file: String? = nil) -> StrictProblem {
        StrictProblem(kind: .missing, name: name, file: file)
    }

    static func notAValue(_ name: String, typeName: String, file: String? = nil) -> StrictProblem {
        StrictProblem(kind: .notAValue(typeName: typeName), name: name, file: file)
    }
}

/// The `templates/_partials/` folder: what `{{> name}}` and `{{< name}}` expand to, per locale.
struct PartialLibrary: Sendable {
    struct Partial: Sendable {
        var nodes: [MustacheNode]
        var path: String
        var locale: String?
    }

    /// Partial name → canonical locale (`nil` for the default file) → file.
    var partials: [String: [String?: Partial]] = [:]

    /// The partial `name` for a template file in `locale`, with the templates' own fallback
    /// (`zh-CN` → `zh` → default).
    func resolve(_ name: String, locale: String?) -> Partial? {
        guard let variants = partials[name] else { return nil }
        if let locale, let partial = variants[locale] { return partial }
        for candidate in LocaleTag.fallbackChain(locale) {
            if let partial = variants[candidate] { return partial }
        }
        return nil
    }

    var names: [String] { partials.keys.sorted() }
}

/// The one walk over a parsed template, in two modes: `render` produces the UTF-8 output, `check`
/// only decides — the same lookups, sections, partials and strict verdict, without the output.
///
/// Semantics: a key holding `null` stops the climb up the context stack; sections render once per
/// list element, once without a new frame for `true`, and once with the value as the new frame
/// for a string, number or map (so `0` and `""` are truthy); `null`, `false`, `[]` and a missing
/// name skip. Inverted sections are the opposite and push no frame. Strict: the first rendered
/// variable that is missing, `null`, a list or a map fails the render, as does a partial that does
/// not exist or partials nested deeper than `maxDepth`; tags in skipped sections never count.
struct MustacheWalk {
    /// How deep partials and parents may nest: deep enough for data-driven recursion over a
    /// nested list, shallow enough that a partial including itself fails at once.
    static let maxDepth = 32

    private struct Override {
        var nodes: [MustacheNode]
        var file: String?
    }

    private var stack: [JSONValue]
    private(set) var output: [UInt8] = []
    private let emit: Bool
    private let escaping: Escaping
    private let library: PartialLibrary
    private let locale: String?
    /// Prepended to each line of a standalone partial's (or block's) expansion after its first.
    private var indent: [UInt8] = []
    /// Where the current partial or block expansion began in `output`.
    private var expansionStart = 0
    private var overrides: [String: Override] = [:]
    private var depth = 0
    /// The partial file being walked, `nil` for the piece itself.
    private var file: String?

    /// What `{{x}}` does to a value: nothing (text pieces), HTML escaping, or percent-encoding (links).
    enum Escaping: Sendable {
        case none, html, url
    }

    private init(context: JSONValue, emit: Bool, escaping: Escaping, library: PartialLibrary, locale: String?)
    {
        stack = []
        stack.reserveCapacity(8)
        stack.append(context)
        self.emit = emit
        self.escaping = escaping
        self.library = library
        self.locale = locale
    }

    /// Renders `nodes` for `context`; `html` escapes `{{x}}`. `locale` picks the partials.
    static func render(
        _ nodes: [MustacheNode], context: JSONValue, html: Bool, capacity: Int, library: PartialLibrary,
        locale: String?, escaping: Escaping? = nil
    ) -> Result<[UInt8], StrictProblem> {
        var walk = MustacheWalk(
            context: context, emit: true, escaping: escaping ?? (html ? .html : .none), library: library,
            locale: locale)
        walk.output.reserveCapacity(capacity)
        if let problem = walk.walk(nodes) { return .failure(problem) }
        return .success(walk.output)
    }

    /// What `render` would fail with, or `nil` when it would succeed.
    static func check(_ nodes: [MustacheNode], context: JSONValue, library: PartialLibrary, locale: String?)
        -> StrictProblem?
    {
        var walk = MustacheWalk(
            context: context, emit: false, escaping: .none, library: library, locale: locale)
        return walk.walk(nodes)
    }

    private mutating func walk(_ nodes: [MustacheNode]) -> StrictProblem? {
        for node in nodes {
            switch node {
            case .text(let bytes):
                guard emit else { continue }
                if indent.isEmpty {
                    output.append(contentsOf: bytes)
                } else {
                    appendIndented(bytes)
                }
            case .variable(let name, let raw):
                guard let value = resolve(name) else { return .missing(name.written, file: file) }
                switch value {
                case .null:
                    return .missing(name.written, file: file)
                case .array:
                    return .notAValue(name.written, typeName: "list", file: file)
                case .object:
                    return .notAValue(name.written, typeName: "map", file: file)
                case .string(let s):
                    guard emit else { continue }
                    if !indent.isEmpty, !s.isEmpty, atLineStart { output.append(contentsOf: indent) }
                    switch raw ? .none : escaping {
                    case .none: append(s)
                    case .html: HTMLEscape.append(s, to: &output)
                    case .url: PercentEncoding.append(s, to: &output)
                    }
                case .number(let n):
                    guard emit else { continue }
                    if !indent.isEmpty, atLineStart { output.append(contentsOf: indent) }
                    appendNumber(n)
                case .bool(let b):
                    guard emit else { continue }
                    if !indent.isEmpty, atLineStart { output.append(contentsOf: indent) }
                    append(b ? "true" : "false")
                }
            case .section(let name, let inverted, let body):
                if let problem = section(name, inverted: inverted, body: body) { return problem }
            case .partial(let name, let indent, let overrides):
                if let problem = partial(name, indent: indent, overrides: overrides) { return problem }
            case .block(let name, let indent, let body):
                let override = overrides[name]
                let saved = (self.indent, expansionStart, file)
                expansionStart = output.count
                if override != nil, !indent.intrinsic.isEmpty {
                    // The default content's indentation is where the block's lines stand; the tag's
                    // own whitespace is already written before the first one.
                    self.indent += indent.intrinsic
                    let written = indent.intrinsic.starts(with: indent.tag) ? indent.tag.count : 0
                    if emit { output.append(contentsOf: indent.intrinsic.dropFirst(written)) }
                } else {
                    self.indent += indent.tag
                }
                if let override { file = override.file }
                defer { (self.indent, expansionStart, file) = saved }
                if let problem = walk(override?.nodes ?? body) { return problem }
            }
        }
        return nil
    }

    private mutating func section(_ name: MustacheName, inverted: Bool, body: [MustacheNode])
        -> StrictProblem?
    {
        let value = resolve(name)
        if inverted {
            switch value {
            case nil, .null?, .bool(false)?: return walk(body)
            case .array(let elements)? where elements.isEmpty: return walk(body)
            default: return nil
            }
        }
        switch value {
        case nil, .null?, .bool(false)?:
            return nil
        case .bool(true)?:
            return walk(body)
        case .array(let elements)?:
            for element in elements {
                stack.append(element)
                defer { stack.removeLast() }
                if let problem = walk(body) { return problem }
            }
            return nil
        case let frame?:
            stack.append(frame)
            defer { stack.removeLast() }
            return walk(body)
        }
    }

    private mutating func partial(
        _ name: MustachePartialName, indent: [UInt8], overrides added: [String: [MustacheNode]]?
    ) -> StrictProblem? {
        guard let partial = library.resolve(name.name, locale: locale) else {
            return StrictProblem(kind: .unknownPartial, name: name.name, file: file)
        }
        guard depth < Self.maxDepth else { return StrictProblem(kind: .tooDeep, name: name.name, file: file) }
        let saved = (self.indent, expansionStart, overrides, file)
        defer { (self.indent, expansionStart, overrides, file) = saved }
        if let added {
            // The outermost template's argument wins over those passed further down.
            for (block, nodes) in added where overrides[block] == nil {
                overrides[block] = Override(nodes: nodes, file: file)
            }
        }
        self.indent += indent
        expansionStart = output.count
        file = partial.path
        depth += 1
        defer { depth -= 1 }
        return walk(partial.nodes)
    }

    /// At the start of a line of the current expansion (not of its first line, which the caller's
    /// text already indents).
    private var atLineStart: Bool {
        output.count > expansionStart && output.last == UInt8(ascii: "\n")
    }

    private mutating func appendIndented(_ bytes: [UInt8]) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end < bytes.count { end += 1 }
            if atLineStart { output.append(contentsOf: indent) }
            output.append(contentsOf: bytes[start..<end])
            start = end
        }
    }

    /// The value a tag renders, or `nil` when the lookup or a transform finds nothing.
    private func resolve(_ name: MustacheName) -> JSONValue? {
        guard var value = lookup(name) else { return nil }
        for transform in name.transforms.reversed() {
            guard let next = MustacheTransform.apply(transform, to: value) else { return nil }
            value = next
        }
        return value
    }

    /// The first segment climbs the stack (unless the name starts with a dot), later segments only
    /// descend; only maps have children.
    private func lookup(_ name: MustacheName) -> JSONValue? {
        let segments = name.segments
        guard let first = segments.first else { return stack.last }
        var value: JSONValue
        if name.currentFrameOnly {
            guard case .object(let members)? = stack.last, let hit = members[first] else { return nil }
            value = hit
        } else {
            var found: JSONValue?
            var i = stack.count - 1
            while i >= 0 {
                if case .object(let members) = stack[i], let hit = members[first] {
                    found = hit
                    break
                }
                i -= 1
            }
            guard let hit = found else { return nil }
            value = hit
        }
        var k = 1
        while k < segments.count {
            guard case .object(let members) = value, let next = members[segments[k]] else { return nil }
            value = next
            k += 1
        }
        return value
    }

    private mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { output.append(contentsOf: $0) }
    }

    /// Integral numbers below 2⁵³ print without a fraction (`42`), others as Swift prints a Double.
    private mutating func appendNumber(_ n: Double) {
        guard MustacheTransform.isInteger(n) else {
            append(n.description)
            return
        }
        var v = Int(n)
        if v == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        if v < 0 { output.append(UInt8(ascii: "-")) }
        let start = output.count
        while v != 0 {
            let digit = v % 10
            output.append(UInt8(ascii: "0") + UInt8(digit < 0 ? -digit : digit))
            v /= 10
        }
        output[start...].reverse()
    }
}

/// swift-mustache's built-in transforms (`{{uppercased(x)}}`), over JSON values.
enum MustacheTransform {
    /// Whether a JSON number prints as an integer and takes the integer transforms.
    @inlinable
    static func isInteger(_ n: Double) -> Bool {
        n.rounded() == n && abs(n) < 9_007_199_254_740_992
    }

    /// `transform` applied to `value`, or `nil` when it does not apply to that kind of value.
    static func apply(_ transform: String, to value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let s):
            switch transform {
            case "empty": return .bool(s.isEmpty)
            case "lowercased": return .string(s.lowercased())
            case "uppercased": return .string(s.uppercased())
            case "capitalized": return .string(s.capitalized)
            case "reversed": return .string(String(s.reversed()))
            default: return nil
            }
        case .array(let a):
            switch transform {
            case "first": return a.first
            case "last": return a.last
            case "reversed": return .array(a.reversed())
            case "count": return .number(Double(a.count))
            case "empty": return .bool(a.isEmpty)
            default: return nil
            }
        case .object(let o):
            switch transform {
            case "count": return .number(Double(o.count))
            case "empty": return .bool(o.isEmpty)
            case "enumerated", "sorted":
                return .array(o.keys.sorted().map { .object(["key": .string($0), "value": o[$0]!]) })
            default: return nil
            }
        case .number(let n) where isInteger(n):
            switch transform {
            case "equalzero": return .bool(n == 0)
            case "plusone": return .number(n + 1)
            case "minusone": return .number(n - 1)
            case "even": return .bool(Int(n) & 1 == 0)
            case "odd": return .bool(Int(n) & 1 == 1)
            default: return nil
            }
        default:
            return nil
        }
    }
}
