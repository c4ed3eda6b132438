import TouchpointCore

/// One lexical token of an expression, with the Unicode-scalar offset where it starts.
struct Token: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case number(Double)
        case string(String)
        /// Identifiers and the words `true`, `false`, `null`, `in`: the parser decides by position,
        /// so `event.properties.in` still selects a field named `in`.
        case word(String)
        case punct(Punct)
        case end
    }

    /// Operators and delimiters.
    enum Punct: String, Sendable, Hashable {
        case leftParen = "("
        case rightParen = ")"
        case leftBracket = "["
        case rightBracket = "]"
        case dot = "."
        case comma = ","
        case question = "?"
        case colon = ":"
        case bang = "!"
        case minus = "-"
        case plus = "+"
        case star = "*"
        case slash = "/"
        case percent = "%"
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessEqual = "<="
        case greater = ">"
        case greaterEqual = ">="
        case and = "&&"
        case or = "||"
    }

    var kind: Kind
    var offset: Int

    /// How the token reads in an error message: `')'`, `'sizee'`, `end of expression`.
    var quoted: String {
        switch kind {
        case .number(let n): "'\(JSONValue.format(number: n))'"
        case .string: "string literal"
        case .word(let w): "'\(w)'"
        case .punct(let p): "'\(p.rawValue)'"
        case .end: "end of expression"
        }
    }
}
