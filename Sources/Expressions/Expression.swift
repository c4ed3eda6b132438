import TouchpointCore

/// A parsed CEL-subset expression, as written in a rule's `if:`; parse once, evaluate per event.
///
/// The language: number, string, bool, `null` and list literals; variables and field access
/// (`event.properties.price`, `x["key"]`, `list[0]`); `|| && == != < <= > >= in + - * / % ! -` and `?:`
/// with CEL precedence; `has(path)`, `size(x)`, `s.startsWith(t)`, `s.endsWith(t)`, `s.contains(t)`.
/// Numbers are `Double`s. Two expressions are equal when their sources are.
public struct Expression: Sendable, Hashable, CustomStringConvertible {
    /// The text the expression was parsed from.
    public let source: String
    /// Every variable path the expression reads, in source order, for static checks such as `check`.
    ///
    /// The roots (`components[0]`) are the variables the expression needs from the environment;
    /// unknown roots are not a parse error, because only the caller knows which variables exist.
    public let fieldPaths: [FieldPath]
    let root: Node

    /// Parses `source`, reporting the first problem with its Unicode-scalar offset.
    public init(parsing source: String) throws(ExpressionError) {
        let (root, paths) = try Parser.parse(source)
        self.source = source
        self.root = root
        self.fieldPaths = paths
    }

    /// The value of the expression with the variables in `env` (the engine passes `event` and `customer`).
    public func evaluate(_ env: [String: JSONValue]) throws(EvaluationError) -> JSONValue {
        try root.evaluate(env)
    }

    /// Evaluates the expression as a condition: a bool result, or an error (also when the result is not a bool).
    public func test(_ env: [String: JSONValue]) -> Result<Bool, EvaluationError> {
        do {
            let value = try root.evaluate(env)
            guard case .bool(let b) = value else {
                return .failure(EvaluationError("condition must be a bool, got \(value.typeName)"))
            }
            return .success(b)
        } catch {
            return .failure(error)
        }
    }

    /// The names of the variables the expression reads, such as `["customer", "event"]`.
    public var rootIdentifiers: Set<String> {
        Set(fieldPaths.map(\.root))
    }

    /// The source text.
    public var description: String { source }

    /// Expressions are equal when their sources are: the tree is a function of the source.
    public static func == (a: Expression, b: Expression) -> Bool {
        a.source == b.source
    }

    /// Hashes the source.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }
}
