/// The one Mustache parser: source text → `MustacheNode`s, with standalone lines applied and
/// every tag's position, over Unicode scalars (so a column counts scalars, as `check` reports).
///
/// The standalone-line and inheritance rules follow swift-mustache 2.1.1's parser (Apache-2.0,
/// © the Hummingbird authors), which passes the mustache/spec suite, with two fixes: a template
/// starts on a new line (so a standalone tag on the first line is standalone), and what follows
/// a closing tag is judged by the closing tag's own line, not the opening one's. Delimiters set
/// with `{{=<% %>=}}` hold for the rest of the source, sections included, as the spec says.
/// Supported: variables (`{{x}}`, `{{{x}}}`, `{{&x}}`), sections, inverted sections, comments,
/// set-delimiter tags, partials (`{{> name}}`), parents and blocks (`{{< name}}`, `{{$ name}}`)
/// and swift-mustache's transforms (`{{uppercased(x)}}`). Lambdas, dynamic names and pragmas
/// are not.
struct MustacheParser {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var open: [Unicode.Scalar] = ["{", "{"]
    private var close: [Unicode.Scalar] = ["}", "}"]
    /// The index of the first scalar of each line, for positions.
    private let lineStarts: [Int]

    private enum Kind { case section, inverted, parent, block }

    private struct Open {
        var name: String
        var transforms: [String]
        var kind: Kind
        var line: Int
        var column: Int
        var written: String { transforms.reduce(name) { "\($1)(\($0))" } }
    }

    private struct State {
        var section: Open?
        var newLine = true
        /// Directly inside `{{<parent}}…{{/parent}}`: only block definitions count.
        var inParent = false
        /// Anywhere inside a parent's arguments, where a block's own indentation is removed.
        var inDefinition = false
        var definitionIndent: [Unicode.Scalar]?
        /// Inside a parent tag that only whitespace preceded on its line.
        var parentStartsLine = false
    }

    private init(_ text: String) {
        s = Array(text.unicodeScalars)
        var starts = [0]
        for (k, c) in s.enumerated() where c == "\n" { starts.append(k + 1) }
        lineStarts = starts
    }

    /// Parses `text`, or throws the first syntax error.
    static func parse(_ text: String) throws(MustacheSyntaxError) -> [MustacheNode] {
        var parser = MustacheParser(text)
        return merged(try parser.parse(State()).nodes)
    }

    /// Adjacent text nodes joined: the output bytes are the same, with fewer appends.
    private static func merged(_ nodes: [MustacheNode]) -> [MustacheNode] {
        var out: [MustacheNode] = []
        out.reserveCapacity(nodes.count)
        for node in nodes {
            switch node {
            case .text(let bytes):
                if case .text(let previous)? = out.last {
                    out[out.count - 1] = .text(previous + bytes)
                } else if !bytes.isEmpty {
                    out.append(node)
                }
            case .section(let name, let inverted, let body):
                out.append(.section(name, inverted: inverted, body: merged(body)))
            case .block(let name, let indent, let body):
                out.append(.block(name, indent: indent, body: merged(body)))
            case .partial(let name, let indent, let overrides):
                out.append(.partial(name, indent: indent, overrides: overrides?.mapValues(merged)))
            case .variable:
                out.append(node)
            }
        }
        return out
    }

    // MARK: - Positions and errors

    private func position(_ index: Int) -> (line: Int, column: Int) {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, index - lineStarts[lo] + 1)
    }

    private func error(_ message: String, at index: Int? = nil) -> MustacheSyntaxError {
        let (line, column) = position(index ?? i)
        return MustacheSyntaxError(message: message, line: line, column: column)
    }

    // MARK: - The tag loop

    private static func text(_ scalars: some Sequence<Unicode.Scalar>) -> MustacheNode {
        var string = ""
        string.unicodeScalars.append(contentsOf: scalars)
        return .text(Array(string.utf8))
    }

    /// Parses until the end (or the closing tag of `initial.section`); also says whether that
    /// closing tag stood alone on its line.
    private mutating func parse(_ initial: State) throws(MustacheSyntaxError) -> (
        nodes: [MustacheNode], closedStandalone: Bool
    ) {
        var nodes: [MustacheNode] = []
        var state = initial
        var whitespace: ArraySlice<Unicode.Scalar> = []
        func flush() {
            if !whitespace.isEmpty { nodes.append(Self.text(whitespace)) }
            whitespace = []
        }
        while i < s.count {
            // Text inside a parent tag is ignored, so it never keeps a tag there from standing alone
            // when the parent tag itself started its line.
            if state.inParent, state.parentStartsLine { state.newLine = true }
            if state.newLine {
                let leading = readSpacesOrTabs()
                if state.inDefinition, !state.inParent {
                    // A block passed to a parent loses the indentation of its first line on every line.
                    if let indent = state.definitionIndent {
                        whitespace = leading.dropFirst(min(indent.count, leading.count))
                    } else {
                        state.definitionIndent = Array(leading)
                        whitespace = []
                    }
                } else {
                    whitespace = leading
                }
            }
            let (text, foundDelimiter) = readUntilDelimiterOrNewline()
            if let newline = newlineLength(at: i) {
                nodes.append(Self.text(whitespace + text + s[i..<(i + newline)]))
                whitespace = []
                i += newline
                state.newLine = true
                continue
            }
            if !text.isEmpty {
                nodes.append(Self.text(whitespace + text))
                whitespace = []
                state.newLine = false
            }
            guard foundDelimiter else { break }
            let tagStart = i - open.count
            let (tagLine, tagColumn) = position(tagStart)
            guard i < s.count else { throw error("unfinished tag: expected '\(closeText)'") }
            let sigil = s[i]
            if state.inParent, !["$", "/", "!", "="].contains(sigil) {
                throw error(
                    "only {{$block}} tags and comments may stand inside a parent tag '{{<\(state.section?.name ?? "")}}'",
                    at: tagStart)
            }
            var setNewLine = false
            switch sigil {
            case "#", "^":
                i += 1
                let name = try readName()
                let standalone = isStandalone(state)
                if !standalone { flush() }
                var inner = state
                inner.section = Open(
                    name: name.name, transforms: name.transforms, kind: sigil == "^" ? .inverted : .section,
                    line: tagLine, column: tagColumn)
                inner.newLine = standalone
                inner.inParent = false
                let (body, closed) = try parse(inner)
                nodes.append(
                    .section(
                        MustacheName(
                            name.name, transforms: name.transforms, line: tagLine, column: tagColumn),
                        inverted: sigil == "^", body: body))
                setNewLine = closed

            case "/":
                i += 1
                let name = try readName()
                guard let section = state.section else {
                    throw error("closing tag '\(name.written)' has no open section", at: tagStart)
                }
                guard name.name == section.name, name.transforms == section.transforms else {
                    throw error(
                        "section '\(section.written)' opened at \(section.line):\(section.column) is closed by '\(name.written)'",
                        at: tagStart)
                }
                let standalone = isStandalone(state)
                if !standalone { flush() }
                return (nodes, standalone)

            case "!":
                i += 1
                try skipComment(from: tagStart)
                setNewLine = isStandalone(state)
                if !setNewLine { flush() }

            case "{", "&":
                flush()
                i += 1
                let name = try readName(extraClose: sigil == "{" ? "}" : nil)
                nodes.append(
                    .variable(
                        MustacheName(
                            name.name, transforms: name.transforms, line: tagLine, column: tagColumn),
                        raw: true))

            case ">":
                i += 1
                let name = try readPartialName()
                // swift-mustache keeps the indentation as text before the partial and repeats it on
                // the partial's later lines: the same output as indenting every line.
                let indent = Self.bytes(whitespace)
                flush()
                let standalone = isStandalone(state)
                setNewLine = standalone
                nodes.append(
                    .partial(
                        MustachePartialName(name: name, line: tagLine, column: tagColumn),
                        indent: standalone ? indent : [], overrides: nil))

            case "<":
                i += 1
                let name = try readPartialName()
                let indent = Self.bytes(whitespace)
                flush()
                _ = isStandalone(state)
                var inner = state
                inner.section = Open(
                    name: name, transforms: [], kind: .parent, line: tagLine, column: tagColumn)
                inner.newLine = true
                inner.inParent = true
                inner.inDefinition = true
                inner.parentStartsLine = state.newLine
                let (body, closed) = try parse(inner)
                var overrides: [String: [MustacheNode]] = [:]
                for case .block(let block, _, let content) in body where overrides[block] == nil {
                    overrides[block] = content
                }
                nodes.append(
                    .partial(
                        MustachePartialName(name: name, line: tagLine, column: tagColumn), indent: indent,
                        overrides: overrides))
                setNewLine = closed

            case "$":
                i += 1
                let name = try readName()
                guard name.transforms.isEmpty else {
                    throw error("a block name cannot take a transform", at: tagStart)
                }
                var inner = state
                inner.section = Open(
                    name: name.name, transforms: [], kind: .block, line: tagLine, column: tagColumn)
                inner.inParent = false
                if state.inParent {
                    inner.newLine = isStandalone(state)
                    let (body, closed) = try parse(inner)
                    nodes.append(.block(name.name, indent: BlockIndent(), body: body))
                    setNewLine = closed
                } else {
                    let indent = Self.bytes(whitespace)
                    flush()
                    let standalone = isStandalone(state)
                    inner.newLine = standalone
                    let (body, closed) = try parse(inner)
                    // A block on a line of its own is indented like its default content's first line.
                    var intrinsic: [UInt8] = []
                    if standalone, case .text(let first)? = body.first {
                        intrinsic = Array(
                            first.prefix { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
                    }
                    nodes.append(
                        .block(name.name, indent: BlockIndent(tag: indent, intrinsic: intrinsic), body: body))
                    setNewLine = closed
                }

            case "=":
                i += 1
                try setDelimiters(from: tagStart)
                setNewLine = isStandalone(state)
                if !setNewLine { flush() }

            case "%":
                throw error("pragmas ('{{%…}}') are not supported in Touchpoint templates", at: tagStart)

            default:
                flush()
                let name = try readName()
                nodes.append(
                    .variable(
                        MustacheName(
                            name.name, transforms: name.transforms, line: tagLine, column: tagColumn),
                        raw: false))
            }
            state.newLine = setNewLine
            whitespace = []
        }
        if let section = state.section {
            let what =
                section.kind == .parent ? "parent '{{<\(section.name)}}'" : "section '\(section.written)'"
            throw MustacheSyntaxError(
                message: "\(what) is never closed", line: section.line, column: section.column)
        }
        return (nodes, false)
    }

    private static func bytes(_ scalars: ArraySlice<Unicode.Scalar>) -> [UInt8] {
        var string = ""
        string.unicodeScalars.append(contentsOf: scalars)
        return Array(string.utf8)
    }

    // MARK: - Reading

    private var closeText: String {
        var text = ""
        text.unicodeScalars.append(contentsOf: close)
        return text
    }

    private func newlineLength(at k: Int) -> Int? {
        guard k < s.count else { return nil }
        if s[k] == "\n" { return 1 }
        if s[k] == "\r", k + 1 < s.count, s[k + 1] == "\n" { return 2 }
        return nil
    }

    private mutating func readSpacesOrTabs() -> ArraySlice<Unicode.Scalar> {
        let start = i
        while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 }
        return s[start..<i]
    }

    private func matches(_ delimiter: [Unicode.Scalar], at k: Int) -> Bool {
        guard k + delimiter.count <= s.count else { return false }
        for (offset, c) in delimiter.enumerated() where s[k + offset] != c { return false }
        return true
    }

    /// Text up to the open delimiter (consumed) or a newline (not consumed) or the end.
    private mutating func readUntilDelimiterOrNewline() -> (ArraySlice<Unicode.Scalar>, Bool) {
        let start = i
        while i < s.count {
            if newlineLength(at: i) != nil { return (s[start..<i], false) }
            if matches(open, at: i) {
                let text = s[start..<i]
                i += open.count
                return (text, true)
            }
            i += 1
        }
        return (s[start..<i], false)
    }

    /// At the end, or only spaces and tabs before a newline, which is then consumed. (Spaces
    /// before the end of the source do not finish the line, as in swift-mustache.)
    private mutating func hasLineFinished() -> Bool {
        if i == s.count { return true }
        var k = i
        while k < s.count, s[k] == " " || s[k] == "\t" { k += 1 }
        if let newline = newlineLength(at: k) {
            i = k + newline
            return true
        }
        return false
    }

    private mutating func isStandalone(_ state: State) -> Bool {
        state.newLine && hasLineFinished()
    }

    private func isWhitespace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    private mutating func skipWhitespace() {
        while i < s.count, isWhitespace(s[i]) { i += 1 }
    }

    private static let nameCharacters = Set<Unicode.Scalar>(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*()".unicodeScalars)

    private struct TagName {
        var name: String
        var transforms: [String]
        var written: String { transforms.reduce(name) { "\($1)(\($0))" } }
    }

    /// A variable or section name up to and including the close delimiter.
    private mutating func readName(extraClose: Unicode.Scalar? = nil) throws(MustacheSyntaxError) -> TagName {
        skipWhitespace()
        let start = i
        while i < s.count, Self.nameCharacters.contains(s[i]) { i += 1 }
        var text = ""
        text.unicodeScalars.append(contentsOf: s[start..<i])
        skipWhitespace()
        if let extraClose {
            guard i < s.count, s[i] == extraClose else {
                throw error("unfinished tag: expected '\(extraClose)\(closeText)'")
            }
            i += 1
        }
        guard matches(close, at: i) else {
            if i < s.count, s[i] != close.first, newlineLength(at: i) == nil {
                throw error("unexpected '\(s[i])' in tag; names use letters, digits, '.', '_' and '-'")
            }
            throw error("unfinished tag: expected '\(closeText)'")
        }
        i += close.count
        guard !text.isEmpty else { throw error("empty tag") }
        return try splitTransforms(text)
    }

    /// `f(g(x))` → name `x`, transforms `[f, g]`.
    private func splitTransforms(_ text: String) throws(MustacheSyntaxError) -> TagName {
        guard text.contains("(") || text.contains(")") else { return TagName(name: text, transforms: []) }
        var transforms: [String] = []
        var rest = Substring(text)
        while let paren = rest.firstIndex(of: "(") {
            transforms.append(String(rest[..<paren]))
            rest = rest[rest.index(after: paren)...]
        }
        let closing = rest.drop(while: { $0 != ")" })
        let name = rest[..<closing.startIndex]
        guard closing.count == transforms.count, closing.allSatisfy({ $0 == ")" }), !name.isEmpty,
            !name.contains(")"), transforms.allSatisfy({ !$0.isEmpty })
        else {
            throw error("malformed transform call '\(text)'")
        }
        return TagName(name: String(name), transforms: transforms)
    }

    /// A partial or parent name: anything but whitespace, up to the close delimiter.
    private mutating func readPartialName() throws(MustacheSyntaxError) -> String {
        skipWhitespace()
        let start = i
        while i < s.count, !isWhitespace(s[i]), !matches(close, at: i) { i += 1 }
        var name = ""
        name.unicodeScalars.append(contentsOf: s[start..<i])
        skipWhitespace()
        guard matches(close, at: i) else { throw error("unfinished tag: expected '\(closeText)'") }
        i += close.count
        guard !name.isEmpty else { throw error("a partial tag needs a name, like {{> footer}}") }
        return name
    }

    private mutating func skipComment(from tagStart: Int) throws(MustacheSyntaxError) {
        while i < s.count {
            if matches(close, at: i) {
                i += close.count
                return
            }
            i += 1
        }
        throw error("unclosed comment", at: tagStart)
    }

    /// `{{=<% %>=}}`: two delimiters without whitespace or `=` in them.
    private mutating func setDelimiters(from tagStart: Int) throws(MustacheSyntaxError) {
        var body: [Unicode.Scalar] = []
        while i < s.count, !(s[i] == "=" && matches(close, at: i + 1)) {
            body.append(s[i])
            i += 1
        }
        guard i < s.count else { throw error("unclosed set-delimiter tag", at: tagStart) }
        i += 1 + close.count
        let parts = body.split(whereSeparator: isWhitespace)
        guard parts.count == 2, !parts.contains(where: { $0.contains("=") }) else {
            throw error("a set-delimiter tag needs two delimiters, like {{=<% %>=}}", at: tagStart)
        }
        open = Array(parts[0])
        close = Array(parts[1])
    }
}
