/// A tag's name as written, split into the looked-up name and the transforms around it.
struct MustacheTag: Sendable, Hashable {
    /// The name looked up in the context (`customer.first_name`, `.`, `.name`).
    var name: String
    /// Transforms written around the name, outermost first (`uppercased(x)` → `["uppercased"]`).
    var transforms: [String]
    /// 1-based line of the opening delimiter, relative to the mustache source.
    var line: Int
    /// 1-based column (in characters) of the opening delimiter.
    var column: Int
    /// `name` split at dots, empty segments dropped: split once here, not on every render.
    let segments: [String]

    init(name: String, transforms: [String], line: Int, column: Int) {
        self.name = name
        self.transforms = transforms
        self.line = line
        self.column = column
        segments = name.split(separator: ".").map(String.init)
    }

    /// The dotted path, with empty segments dropped the way swift-mustache does.
    var path: [String] {
        name == "." ? ["."] : name.split(separator: ".").map(String.init)
    }

    /// The tag as the author wrote it, for messages.
    var written: String {
        transforms.reduce(name) { inner, transform in "\(transform)(\(inner))" }
    }
}

/// One piece of a parsed template, as our own walk sees it.
indirect enum MustacheNode: Sendable, Hashable {
    case text(String)
    case variable(MustacheTag, escaped: Bool)
    case section(MustacheTag, inverted: Bool, body: [MustacheNode])
}

/// A syntax problem found by `MustacheSyntax`, with its place in the mustache source.
struct MustacheSyntaxError: Error, Sendable, Hashable {
    var message: String
    var line: Int
    var column: Int
}

/// Our own Mustache tokenizer.
///
/// swift-mustache keeps its token tree internal, so the strict-variable walk and `check`
/// need a tree of their own. The grammar mirrors swift-mustache 2.1.1's parser (names,
/// transforms, comments, set-delimiter and pragma tags); whitespace handling of standalone
/// lines is not mirrored because the walk never looks at rendered text layout.
struct MustacheSyntax {
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var column = 1
    private var open: [Character] = ["{", "{"]
    private var close: [Character] = ["}", "}"]

    private static let nameCharacters = Set<Character>(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*()")

    private init(_ text: String) {
        chars = Array(text)
    }

    /// Parses `text` into nodes, or throws the first syntax error.
    static func parse(_ text: String) throws(MustacheSyntaxError) -> [MustacheNode] {
        var syntax = MustacheSyntax(text)
        return try syntax.parseNodes(until: nil)
    }

    private func matches(_ delimiter: [Character], at position: Int) -> Bool {
        guard position + delimiter.count <= chars.count else { return false }
        for (offset, c) in delimiter.enumerated() where chars[position + offset] != c { return false }
        return true
    }

    private mutating func advance(by count: Int = 1) {
        for _ in 0..<count where index < chars.count {
            if chars[index].isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while index < chars.count, chars[index].isWhitespace { advance() }
    }

    private func error(_ message: String) -> MustacheSyntaxError {
        MustacheSyntaxError(message: message, line: line, column: column)
    }

    private mutating func parseNodes(until section: MustacheTag?) throws(MustacheSyntaxError)
        -> [MustacheNode]
    {
        var nodes: [MustacheNode] = []
        var text = ""
        while index < chars.count {
            guard matches(open, at: index) else {
                text.append(chars[index])
                advance()
                continue
            }
            if !text.isEmpty {
                nodes.append(.text(text))
                text = ""
            }
            let tagLine = line
            let tagColumn = column
            advance(by: open.count)
            let sigil: Character? = index < chars.count ? chars[index] : nil
            switch sigil {
            case "!":
                try skipPast(close, what: "comment")
            case "=":
                advance()
                try setDelimiters()
            case "%":
                try skipPast(close, what: "pragma")
            case "#", "^":
                advance()
                var tag = try readTag()
                tag.line = tagLine
                tag.column = tagColumn
                let body = try parseNodes(until: tag)
                nodes.append(.section(tag, inverted: sigil == "^", body: body))
            case "/":
                advance()
                let tag = try readTag()
                guard let section else {
                    throw MustacheSyntaxError(
                        message: "closing tag '\(tag.written)' has no open section",
                        line: tagLine, column: tagColumn)
                }
                guard tag.name == section.name, tag.transforms == section.transforms else {
                    throw MustacheSyntaxError(
                        message:
                            "section '\(section.written)' opened at \(section.line):\(section.column) is closed by '\(tag.written)'",
                        line: tagLine, column: tagColumn)
                }
                return nodes
            case "{":
                advance()
                var tag = try readTag(extraClose: "}")
                tag.line = tagLine
                tag.column = tagColumn
                nodes.append(.variable(tag, escaped: false))
            case "&":
                advance()
                var tag = try readTag()
                tag.line = tagLine
                tag.column = tagColumn
                nodes.append(.variable(tag, escaped: false))
            case ">", "<", "$":
                throw MustacheSyntaxError(
                    message: sigil == ">"
                        ? "partials are not supported in Touchpoint templates"
                        : "template inheritance is not supported in Touchpoint templates",
                    line: tagLine, column: tagColumn)
            default:
                var tag = try readTag()
                tag.line = tagLine
                tag.column = tagColumn
                nodes.append(.variable(tag, escaped: true))
            }
        }
        if !text.isEmpty { nodes.append(.text(text)) }
        if let section {
            throw MustacheSyntaxError(
                message: "section '\(section.written)' is never closed", line: section.line,
                column: section.column)
        }
        return nodes
    }

    private mutating func skipPast(_ delimiter: [Character], what: String) throws(MustacheSyntaxError) {
        let startLine = line
        let startColumn = column
        while index < chars.count {
            if matches(delimiter, at: index) {
                advance(by: delimiter.count)
                return
            }
            advance()
        }
        throw MustacheSyntaxError(message: "unclosed \(what)", line: startLine, column: startColumn)
    }

    private mutating func setDelimiters() throws(MustacheSyntaxError) {
        var body = ""
        while index < chars.count, !(chars[index] == "=" && matches(close, at: index + 1)) {
            body.append(chars[index])
            advance()
        }
        guard index < chars.count else { throw error("unclosed set-delimiter tag") }
        advance(by: 1 + close.count)
        let parts = body.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2 else {
            throw error("a set-delimiter tag needs two delimiters, like {{=<% %>=}}")
        }
        open = Array(parts[0])
        close = Array(parts[1])
    }

    private mutating func readTag(extraClose: Character? = nil) throws(MustacheSyntaxError) -> MustacheTag {
        skipWhitespace()
        var text = ""
        while index < chars.count, Self.nameCharacters.contains(chars[index]) {
            text.append(chars[index])
            advance()
        }
        skipWhitespace()
        if let extraClose, index < chars.count, chars[index] == extraClose { advance() }
        guard matches(close, at: index) else {
            if index < chars.count, chars[index] != close.first, !chars[index].isNewline {
                throw error(
                    "unexpected '\(chars[index])' in tag; names use letters, digits, '.', '_' and '-'")
            }
            throw error("unfinished tag: expected '\(String(close))'")
        }
        advance(by: close.count)
        guard !text.isEmpty else { throw error("empty tag") }
        return try splitTransforms(text)
    }

    /// `f(g(x))` → name `x`, transforms `[f, g]`.
    private func splitTransforms(_ text: String) throws(MustacheSyntaxError) -> MustacheTag {
        guard text.contains("(") || text.contains(")") else {
            return MustacheTag(name: text, transforms: [], line: line, column: column)
        }
        var transforms: [String] = []
        var rest = Substring(text)
        while let paren = rest.firstIndex(of: "(") {
            transforms.append(String(rest[..<paren]))
            rest = rest[rest.index(after: paren)...]
        }
        let closing = rest.drop(while: { $0 != ")" })
        let name = rest[..<closing.startIndex]
        guard closing.count == transforms.count, closing.allSatisfy({ $0 == ")" }), !name.contains(")"),
            transforms.allSatisfy({ !$0.isEmpty })
        else {
            throw error("malformed transform call '\(text)'")
        }
        return MustacheTag(name: String(name), transforms: transforms, line: line, column: column)
    }
}
