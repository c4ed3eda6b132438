import TouchpointCore

/// The parsed form of an expression; evaluation walks it without looking at the source again.
indirect enum Node: Sendable {
    case literal(JSONValue)
    case variable(String)
    /// `operand.field`; `path` names the operand for error messages (`event.properties`).
    case select(Node, field: String, path: String)
    /// `operand[index]`; `path` names the operand for error messages.
    case index(Node, Node, path: String)
    /// `has(root.a.b)`: presence of a field path, looked up leniently.
    case has(root: String, fields: [String])
    case list([Node])
    case not(Node)
    case negate(Node)
    case arithmetic(Arithmetic, Node, Node)
    case compare(Comparison, Node, Node)
    case equal(Node, Node, negated: Bool)
    case membership(Node, Node)
    case and(Node, Node)
    case or(Node, Node)
    case conditional(Node, Node, Node)
    case size(Node)
    case stringTest(StringTest, Node, Node)

    enum Arithmetic: String, Sendable {
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case remainder = "%"
    }

    enum Comparison: String, Sendable {
        case less = "<"
        case lessEqual = "<="
        case greater = ">"
        case greaterEqual = ">="
    }

    enum StringTest: String, Sendable {
        case startsWith
        case endsWith
        case contains
    }
}
