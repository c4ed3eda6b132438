/// A port of swift-mustache 2.1.1's template parser (`Template+Parser.swift` and `Parser.swift`,
/// Apache-2.0, © the Hummingbird authors) that builds `RenderNode`s instead of its internal tokens.
///
/// The port is deliberately literal — Character-based, with the same delimiter matching,
/// standalone-line rules and quirks — because the text between tags must come out byte for byte
/// as swift-mustache renders it. It runs once per template at load, so its speed does not matter.
/// Anything Touchpoint does not render itself (transforms, partials, inheritance, unknown pragmas)
/// and every syntax error throws `Unsupported`; the piece then keeps the swift-mustache path.
struct RenderParser {
    /// The template uses something this port does not compile, or is malformed.
    struct Unsupported: Error {}

    private struct State {
        var sectionName: String?
        var newLine = true
        var startDelimiter = "{{"
        var endDelimiter = "}}"
    }

    private let buffer: String
    private var position: String.Index

    private init(_ string: String) {
        buffer = string
        position = string.startIndex
    }

    /// Compiles `source` as swift-mustache would parse it.
    static func parse(_ source: String) throws(Unsupported) -> [RenderNode] {
        var parser = RenderParser(source)
        return merged(try parser.parse(state: State()))
    }

    /// Adjacent text nodes joined: the output bytes are the same, with fewer appends.
    private static func merged(_ nodes: [RenderNode]) -> [RenderNode] {
        var out: [RenderNode] = []
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
            case .variable, .contentType:
                out.append(node)
            }
        }
        return out
    }

    private static func text(_ s: some StringProtocol) -> RenderNode {
        .text(Array(s.utf8))
    }

    private mutating func parse(state initial: State) throws(Unsupported) -> [RenderNode] {
        var tokens: [RenderNode] = []
        var state = initial
        var whiteSpaceBefore: Substring = ""
        while !reachedEnd() {
            if state.newLine {
                whiteSpaceBefore = read(whileIn: Self.spaceOrTab)
            }
            let text = try readUntilDelimiterOrNewline(state)
            if current().isNewline {
                tokens.append(Self.text(whiteSpaceBefore + text + String(current())))
                state.newLine = true
                unsafeAdvance()
                continue
            }
            if text.count > 0 {
                tokens.append(Self.text(whiteSpaceBefore + text))
                whiteSpaceBefore = ""
                state.newLine = false
            }
            if reachedEnd() { break }
            var setNewLine = false
            switch current() {
            case "#", "^":
                let inverted = current() == "^"
                unsafeAdvance()
                let name = try parseName(state)
                if isStandalone(state) {
                    setNewLine = true
                } else if whiteSpaceBefore.count > 0 {
                    tokens.append(Self.text(whiteSpaceBefore))
                    whiteSpaceBefore = ""
                }
                var inner = state
                inner.sectionName = name
                if !setNewLine { inner.newLine = false }
                let body = try parse(state: inner)
                tokens.append(.section(RenderName(name), inverted: inverted, body: body))

            case "/":
                unsafeAdvance()
                let name = try parseName(state)
                guard name == state.sectionName else { throw Unsupported() }
                if isStandalone(state) {
                    setNewLine = true
                } else if whiteSpaceBefore.count > 0 {
                    tokens.append(Self.text(whiteSpaceBefore))
                    whiteSpaceBefore = ""
                }
                return tokens

            case "!":
                unsafeAdvance()
                try skipComment(state)
                setNewLine = isStandalone(state)

            case "{":
                if whiteSpaceBefore.count > 0 {
                    tokens.append(Self.text(whiteSpaceBefore))
                    whiteSpaceBefore = ""
                }
                unsafeAdvance()
                let name = try parseName(state)
                guard try read("}") else { throw Unsupported() }
                tokens.append(.variable(RenderName(name), raw: true))

            case "&":
                if whiteSpaceBefore.count > 0 {
                    tokens.append(Self.text(whiteSpaceBefore))
                    whiteSpaceBefore = ""
                }
                unsafeAdvance()
                let name = try parseName(state)
                tokens.append(.variable(RenderName(name), raw: true))

            case ">", "<", "$":
                throw Unsupported()

            case "=":
                unsafeAdvance()
                state = try setDelimiters(state)
                setNewLine = isStandalone(state)

            case "%":
                unsafeAdvance()
                tokens.append(.contentType(html: try readContentType(state)))
                setNewLine = isStandalone(state)

            default:
                if whiteSpaceBefore.count > 0 {
                    tokens.append(Self.text(whiteSpaceBefore))
                    whiteSpaceBefore = ""
                }
                let name = try parseName(state)
                tokens.append(.variable(RenderName(name), raw: false))
            }
            state.newLine = setNewLine
        }
        guard state.sectionName == nil else { throw Unsupported() }
        return tokens
    }

    /// Reads until the start delimiter (consumed) or a newline (not consumed).
    private mutating func readUntilDelimiterOrNewline(_ state: State) throws(Unsupported) -> String {
        guard let delimiterFirstChar = state.startDelimiter.first else { return "" }
        var untilSet: Set<Character> = ["\n", "\r\n"]
        untilSet.insert(delimiterFirstChar)
        var totalText = ""
        while !reachedEnd() {
            totalText += read(untilIn: untilSet)
            if current().isNewline {
                break
            } else if current() == delimiterFirstChar {
                if try read(string: state.startDelimiter) { break }
                totalText += String(delimiterFirstChar)
                unsafeAdvance()
            }
        }
        return totalText
    }

    /// A tag's name up to and including the end delimiter; transforms are not compiled.
    private mutating func parseName(_ state: State) throws(Unsupported) -> String {
        read(whileWhitespace: ())
        let text = String(read(whileIn: Self.sectionNameChars))
        read(whileWhitespace: ())
        guard try read(string: state.endDelimiter) else { throw Unsupported() }
        guard text.allSatisfy({ Self.sectionNameCharsWithoutBrackets.contains($0) }) else {
            throw Unsupported()
        }
        return text
    }

    private mutating func skipComment(_ state: State) throws(Unsupported) {
        let until = state.endDelimiter
        guard until.count > 0 else { return }
        var untilIndex = until.startIndex
        while !reachedEnd() {
            if unsafeCurrent() == until[untilIndex] {
                untilIndex = until.index(after: untilIndex)
                if untilIndex == until.endIndex {
                    unsafeAdvance()
                    return
                }
            } else {
                untilIndex = until.startIndex
            }
            unsafeAdvance()
        }
        throw Unsupported()
    }

    private mutating func setDelimiters(_ state: State) throws(Unsupported) -> State {
        read(whileWhitespace: ())
        let start = try read(until: { $0.isWhitespace })
        read(whileWhitespace: ())
        let end = try read(until: { $0 == "=" || $0.isWhitespace })
        read(whileWhitespace: ())
        guard try read("=") else { throw Unsupported() }
        guard try read(string: state.endDelimiter) else { throw Unsupported() }
        guard start.count > 0, end.count > 0 else { throw Unsupported() }
        var next = state
        next.startDelimiter = String(start)
        next.endDelimiter = String(end)
        return next
    }

    /// `CONTENT_TYPE: HTML|TEXT` → whether it is HTML; any other pragma is unsupported.
    private mutating func readContentType(_ state: State) throws(Unsupported) -> Bool {
        read(whileWhitespace: ())
        let variable = read(whileIn: Self.sectionNameCharsWithoutBrackets)
        read(whileWhitespace: ())
        guard try read(":") else { throw Unsupported() }
        read(whileWhitespace: ())
        let value = read(whileIn: Self.sectionNameCharsWithoutBrackets)
        read(whileWhitespace: ())
        guard try read(string: state.endDelimiter) else { throw Unsupported() }
        guard variable == "CONTENT_TYPE" else { throw Unsupported() }
        switch value {
        case "HTML": return true
        case "TEXT": return false
        default: throw Unsupported()
        }
    }

    /// At the end, or only spaces and tabs before a newline, which is then consumed.
    private mutating func hasLineFinished() -> Bool {
        if reachedEnd() { return true }
        var copy = self
        copy.read(whileIn: Self.spaceOrTab)
        if copy.current().isNewline {
            copy.unsafeAdvance()
            position = copy.position
            return true
        }
        return false
    }

    private mutating func isStandalone(_ state: State) -> Bool {
        state.newLine && hasLineFinished()
    }

    private static let spaceOrTab = Set<Character>(" \t")
    private static let sectionNameCharsWithoutBrackets = Set<Character>(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")
    private static let sectionNameChars = Set<Character>(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*")

    // MARK: - Reader (swift-mustache's `Parser`)

    private func reachedEnd() -> Bool { position == buffer.endIndex }

    private func current() -> Character { reachedEnd() ? "\0" : buffer[position] }

    private func unsafeCurrent() -> Character { buffer[position] }

    private mutating func unsafeAdvance() { position = buffer.index(after: position) }

    private mutating func read(_ char: Character) throws(Unsupported) -> Bool {
        guard !reachedEnd() else { throw Unsupported() }
        guard unsafeCurrent() == char else { return false }
        unsafeAdvance()
        return true
    }

    /// Compares the next `string.count` Characters; too few left is an error, as in swift-mustache.
    private mutating func read(string: String) throws(Unsupported) -> Bool {
        let count = string.count
        guard count > 0 else { return true }
        guard buffer.distance(from: position, to: buffer.endIndex) >= count else { throw Unsupported() }
        let end = buffer.index(position, offsetBy: count)
        guard buffer[position..<end] == string else { return false }
        position = end
        return true
    }

    @discardableResult
    private mutating func read(whileIn set: Set<Character>) -> Substring {
        let start = position
        while !reachedEnd(), set.contains(unsafeCurrent()) { unsafeAdvance() }
        return buffer[start..<position]
    }

    private mutating func read(whileWhitespace: Void) {
        while !reachedEnd(), unsafeCurrent().isWhitespace { unsafeAdvance() }
    }

    /// Up to a Character in `set`, or to the end.
    private mutating func read(untilIn set: Set<Character>) -> Substring {
        let start = position
        while !reachedEnd(), !set.contains(unsafeCurrent()) { unsafeAdvance() }
        return buffer[start..<position]
    }

    /// Up to a Character matching `stop`; reaching the end first is an error.
    private mutating func read(until stop: (Character) -> Bool) throws(Unsupported) -> Substring {
        let start = position
        while !reachedEnd() {
            if stop(unsafeCurrent()) { return buffer[start..<position] }
            unsafeAdvance()
        }
        position = start
        throw Unsupported()
    }
}
