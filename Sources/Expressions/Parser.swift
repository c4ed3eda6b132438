import TouchpointCore

/// Recursive-descent parser for the CEL subset, with CEL's precedence (lowest first):
/// `?:`, `||`, `&&`, `== != < <= > >= in`, `+ -`, `* / %`, unary `! -`, then `.field`, `[index]`, calls.
///
/// Every recursion is bounded by ``Expression/maximumDepth`` so hostile input cannot exhaust the stack,
/// neither here nor later in the evaluator, which recurses once per level of the tree.
struct Parser {
    /// A subtree with its height, so depth limits are checked as the tree is built.
    struct Parsed {
        var node: Node
        var height: Int
    }

    static let functions = ["has", "size"]
    static let methods = ["startsWith", "endsWith", "contains", "size"]

    private let tokens: [Token]
    private var position = 0
    private var nesting = 0
    private(set) var fieldPaths: [FieldPath] = []

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    /// Parses a whole expression, returning its tree and the variable paths it reads (in source order).
    static func parse(_ source: String) throws(ExpressionError) -> (Node, [FieldPath]) {
        var length = 0
        for _ in source.unicodeScalars {
            length += 1
            if length > Expression.maximumLength {
                throw ExpressionError(
                    "expression too long (limit \(Expression.maximumLength) characters)",
                    at: Expression.maximumLength)
            }
        }
        let tokens = try Lexer.tokenize(Array(source.unicodeScalars))
        var parser = Parser(tokens: tokens)
        if parser.current.kind == .end {
            throw ExpressionError("empty expression", at: 0)
        }
        let result = try parser.expression()
        if parser.current.kind != .end {
            let token = parser.current
            if token.kind == .punct(.rightParen) || token.kind == .punct(.rightBracket) {
                throw ExpressionError(
                    "unexpected \(token.quoted) without a matching opening bracket", at: token.offset)
            }
            throw ExpressionError(
                "unexpected \(token.quoted) after a complete expression; expected an operator",
                at: token.offset)
        }
        let paths = parser.fieldPaths.sorted { $0.offset < $1.offset }
        return (result.node, paths)
    }

    // MARK: - Tokens

    private var current: Token { tokens[position] }

    private func peek(_ ahead: Int) -> Token {
        tokens[min(position + ahead, tokens.count - 1)]
    }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private mutating func take(_ punct: Token.Punct) -> Bool {
        if current.kind == .punct(punct) {
            advance()
            return true
        }
        return false
    }

    private mutating func expect(_ punct: Token.Punct, _ message: String) throws(ExpressionError) {
        guard take(punct) else { throw ExpressionError(message, at: current.offset) }
    }

    private func tooDeep(at offset: Int) -> ExpressionError {
        ExpressionError("expression nested too deeply (limit \(Expression.maximumDepth))", at: offset)
    }

    /// Builds a node over `children`, refusing trees taller than the depth limit.
    private func make(_ node: Node, over children: Parsed..., at offset: Int) throws(ExpressionError)
        -> Parsed
    {
        let height = 1 + (children.map(\.height).max() ?? 0)
        guard height <= Expression.maximumDepth else { throw tooDeep(at: offset) }
        return Parsed(node: node, height: height)
    }

    // MARK: - Precedence levels

    /// A full expression in a nested position (parentheses, arguments, list elements, indexes, branches).
    private mutating func expression() throws(ExpressionError) -> Parsed {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Expression.maximumDepth else { throw tooDeep(at: current.offset) }
        return try conditional()
    }

    private mutating func conditional() throws(ExpressionError) -> Parsed {
        let condition = try or()
        let question = current
        guard take(.question) else { return condition }
        let then = try or()
        try expect(.colon, "expected ':' in conditional expression")
        let otherwise = try expression()
        return try make(
            .conditional(condition.node, then.node, otherwise.node), over: condition, then, otherwise,
            at: question.offset)
    }

    private mutating func or() throws(ExpressionError) -> Parsed {
        var left = try and()
        while case .punct(.or) = current.kind {
            let op = current
            advance()
            let right = try and()
            left = try make(.or(left.node, right.node), over: left, right, at: op.offset)
        }
        return left
    }

    private mutating func and() throws(ExpressionError) -> Parsed {
        var left = try relation()
        while case .punct(.and) = current.kind {
            let op = current
            advance()
            let right = try relation()
            left = try make(.and(left.node, right.node), over: left, right, at: op.offset)
        }
        return left
    }

    private mutating func relation() throws(ExpressionError) -> Parsed {
        var left = try additive()
        while true {
            let op = current
            let build: (Node, Node) -> Node
            switch op.kind {
            case .punct(.equal): build = { .equal($0, $1, negated: false) }
            case .punct(.notEqual): build = { .equal($0, $1, negated: true) }
            case .punct(.less): build = { .compare(.less, $0, $1) }
            case .punct(.lessEqual): build = { .compare(.lessEqual, $0, $1) }
            case .punct(.greater): build = { .compare(.greater, $0, $1) }
            case .punct(.greaterEqual): build = { .compare(.greaterEqual, $0, $1) }
            case .word("in"): build = { .membership($0, $1) }
            default: return left
            }
            advance()
            let right = try additive()
            left = try make(build(left.node, right.node), over: left, right, at: op.offset)
        }
    }

    private mutating func additive() throws(ExpressionError) -> Parsed {
        var left = try multiplicative()
        while true {
            let op = current
            let kind: Node.Arithmetic
            switch op.kind {
            case .punct(.plus): kind = .add
            case .punct(.minus): kind = .subtract
            default: return left
            }
            advance()
            let right = try multiplicative()
            left = try make(.arithmetic(kind, left.node, right.node), over: left, right, at: op.offset)
        }
    }

    private mutating func multiplicative() throws(ExpressionError) -> Parsed {
        var left = try unary()
        while true {
            let op = current
            let kind: Node.Arithmetic
            switch op.kind {
            case .punct(.star): kind = .multiply
            case .punct(.slash): kind = .divide
            case .punct(.percent): kind = .remainder
            default: return left
            }
            advance()
            let right = try unary()
            left = try make(.arithmetic(kind, left.node, right.node), over: left, right, at: op.offset)
        }
    }

    /// Prefix operators are collected in a loop rather than by recursion, so `!!!!…` cannot blow the stack.
    private mutating func unary() throws(ExpressionError) -> Parsed {
        var operators: [Token] = []
        while current.kind == .punct(.bang) || current.kind == .punct(.minus) {
            operators.append(current)
            advance()
        }
        var operand = try postfix()
        for op in operators.reversed() {
            if op.kind == .punct(.bang) {
                operand = try make(.not(operand.node), over: operand, at: op.offset)
            } else if case .literal(.number(let n)) = operand.node {
                operand.node = .literal(.number(-n))
            } else {
                operand = try make(.negate(operand.node), over: operand, at: op.offset)
            }
        }
        return operand
    }

    // MARK: - Member access, indexing, calls

    private mutating func postfix() throws(ExpressionError) -> Parsed {
        var result: Parsed
        // While the chain is a plain variable path, `components` collects it for `fieldPaths`
        // and `text` names it in runtime errors.
        var components: [String]? = nil
        var text: String? = nil
        let start = current
        if case .word(let name) = start.kind, !Parser.isKeyword(name), peek(1).kind != .punct(.leftParen) {
            advance()
            result = Parsed(node: .variable(name), height: 1)
            components = [name]
            text = name
        } else {
            result = try primary()
        }

        func finishPath(_ parser: inout Parser) {
            if let c = components { parser.fieldPaths.append(FieldPath(components: c, offset: start.offset)) }
            components = nil
        }

        while true {
            let op = current
            if take(.dot) {
                guard case .word(let name) = current.kind else {
                    throw ExpressionError("expected field name after '.'", at: current.offset)
                }
                let nameToken = current
                advance()
                if current.kind == .punct(.leftParen) {
                    finishPath(&self)
                    result = try method(name, at: nameToken, receiver: result)
                    text = nil
                } else {
                    result = try make(
                        .select(result.node, field: name, path: text ?? ""), over: result, at: op.offset)
                    components?.append(name)
                    text = text.map { "\($0).\(name)" }
                }
            } else if take(.leftBracket) {
                let index = try expression()
                try expect(.rightBracket, "expected ']' after index")
                result = try make(
                    .index(result.node, index.node, path: text ?? ""), over: result, index, at: op.offset)
                switch index.node {
                case .literal(.string(let key)):
                    components?.append(key)
                    text = text.map { t in
                        var quoted = ""
                        JSONValue.writeQuoted(key, to: &quoted)
                        return "\(t)[\(quoted)]"
                    }
                case .literal(.number(let n)):
                    finishPath(&self)
                    text = text.map { "\($0)[\(JSONValue.format(number: n))]" }
                default:
                    finishPath(&self)
                    text = nil
                }
            } else {
                finishPath(&self)
                return result
            }
        }
    }

    private static func isKeyword(_ word: String) -> Bool {
        word == "true" || word == "false" || word == "null" || word == "in"
    }

    private mutating func primary() throws(ExpressionError) -> Parsed {
        let token = current
        switch token.kind {
        case .number(let n):
            advance()
            return Parsed(node: .literal(.number(n)), height: 1)
        case .string(let s):
            advance()
            return Parsed(node: .literal(.string(s)), height: 1)
        case .word("true"):
            advance()
            return Parsed(node: .literal(.bool(true)), height: 1)
        case .word("false"):
            advance()
            return Parsed(node: .literal(.bool(false)), height: 1)
        case .word("null"):
            advance()
            return Parsed(node: .literal(.null), height: 1)
        case .word("in"):
            throw ExpressionError("expected an expression, found 'in'", at: token.offset)
        case .word(let name):
            advance()
            return try function(name, at: token)
        case .punct(.leftParen):
            advance()
            let inner = try expression()
            try expect(.rightParen, "expected ')' to close '('")
            return inner
        case .punct(.leftBracket):
            advance()
            return try list(at: token)
        case .punct:
            throw ExpressionError("expected an expression, found \(token.quoted)", at: token.offset)
        case .end:
            let previous = position > 0 ? tokens[position - 1].quoted : "start"
            throw ExpressionError("expected an expression after \(previous)", at: token.offset)
        }
    }

    private mutating func list(at open: Token) throws(ExpressionError) -> Parsed {
        var elements: [Node] = []
        var height = 0
        while current.kind != .punct(.rightBracket) {
            if elements.count == Expression.maximumListElements {
                throw ExpressionError(
                    "list literal has too many elements (limit \(Expression.maximumListElements))",
                    at: current.offset)
            }
            let element = try expression()
            elements.append(element.node)
            height = max(height, element.height)
            if !take(.comma) { break }
        }
        try expect(.rightBracket, "expected ']' after list elements")
        guard height + 1 <= Expression.maximumDepth else { throw tooDeep(at: open.offset) }
        // A list of constants is itself a constant: evaluate it once here instead of once per event.
        var constants: [JSONValue] = []
        constants.reserveCapacity(elements.count)
        for element in elements {
            guard case .literal(let value) = element else {
                return Parsed(node: .list(elements), height: height + 1)
            }
            constants.append(value)
        }
        return Parsed(node: .literal(.array(constants)), height: height + 1)
    }

    /// The argument list after `(`, up to and including `)`.
    private mutating func arguments() throws(ExpressionError) -> [Parsed] {
        try expect(.leftParen, "expected '('")
        var arguments: [Parsed] = []
        if take(.rightParen) { return arguments }
        while true {
            arguments.append(try expression())
            if take(.rightParen) { return arguments }
            try expect(.comma, "expected ')' after argument list")
        }
    }

    private func checkArity(_ name: String, _ arguments: [Parsed], _ expected: Int, at token: Token)
        throws(ExpressionError)
    {
        guard arguments.count != expected else { return }
        let noun = expected == 1 ? "argument" : "arguments"
        throw ExpressionError("\(name)() takes \(expected) \(noun), got \(arguments.count)", at: token.offset)
    }

    private mutating func function(_ name: String, at token: Token) throws(ExpressionError) -> Parsed {
        guard Parser.functions.contains(name) else {
            if Parser.methods.contains(name) {
                throw ExpressionError(
                    "unknown function '\(name)'; it is a method, called as value.\(name)(...)",
                    at: token.offset)
            }
            throw ExpressionError(
                "unknown function '\(name)'\(Suggest.didYouMean(name, in: Parser.functions))",
                at: token.offset)
        }
        let args = try arguments()
        try checkArity(name, args, 1, at: token)
        let argument = args[0]
        if name == "size" {
            return try make(.size(argument.node), over: argument, at: token.offset)
        }
        guard let (root, fields) = Parser.fieldPath(argument.node), !fields.isEmpty else {
            throw ExpressionError("has() needs a field selection, like has(customer.email)", at: token.offset)
        }
        return try make(.has(root: root, fields: fields), over: argument, at: token.offset)
    }

    /// The root and field names of a plain path (`a.b["c"]`), or `nil` for anything else.
    private static func fieldPath(_ node: Node) -> (String, [String])? {
        switch node {
        case .variable(let name):
            return (name, [])
        case .select(let operand, let field, _):
            guard let (root, fields) = fieldPath(operand) else { return nil }
            return (root, fields + [field])
        case .index(let operand, .literal(.string(let key)), _):
            guard let (root, fields) = fieldPath(operand) else { return nil }
            return (root, fields + [key])
        default:
            return nil
        }
    }

    private mutating func method(_ name: String, at token: Token, receiver: Parsed) throws(ExpressionError)
        -> Parsed
    {
        let node: Node
        switch name {
        case "startsWith", "endsWith", "contains":
            let args = try arguments()
            try checkArity(name, args, 1, at: token)
            return try make(
                .stringTest(Node.StringTest(rawValue: name)!, receiver.node, args[0].node), over: receiver,
                args[0],
                at: token.offset)
        case "size":
            let args = try arguments()
            try checkArity(name, args, 0, at: token)
            node = .size(receiver.node)
        default:
            throw ExpressionError(
                "unknown method '\(name)'\(Suggest.didYouMean(name, in: Parser.methods))", at: token.offset)
        }
        return try make(node, over: receiver, at: token.offset)
    }
}
