/// A place in a file: 1-based line and column (column 0 = whole line).
public struct SourceLocation: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `path:line:col` (or `path:line` when the column is unknown).
    public var description: String {
        column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)"
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// A problem found in user input: config, rules, templates, events.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
        case note
    }

    public var severity: Severity
    /// A stable machine-readable code, e.g. `unknown-key`, `unknown-template`.
    public var code: String
    public var message: String
    public var location: SourceLocation?

    public init(_ severity: Severity, code: String, _ message: String, at location: SourceLocation?) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    public static func error(_ code: String, _ message: String, at location: SourceLocation?) -> Diagnostic {
        Diagnostic(.error, code: code, message, at: location)
    }

    public static func warning(_ code: String, _ message: String, at location: SourceLocation?) -> Diagnostic
    {
        Diagnostic(.warning, code: code, message, at: location)
    }

    /// `path:line:col: error: message`, the form compilers and editors understand.
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return "\(place)\(severity.rawValue): \(message)"
    }

    /// One JSON object: severity, code, message, file, line, column.
    public var json: JSONValue {
        [
            "severity": .string(severity.rawValue),
            "code": .string(code),
            "message": .string(message),
            "file": location.map { .string($0.file) } ?? .null,
            "line": location.map { .number(Double($0.line)) } ?? .null,
            "column": location.map { .number(Double($0.column)) } ?? .null,
        ]
    }
}

/// Suggestions for near misses: `did you mean 'within'?`.
public enum Suggest {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    public static func nearest(_ word: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best else { return nil }
        let limit = max(1, min(3, (max(word.count, c.count) + 1) / 3))
        return d <= limit ? c : nil
    }

    /// ` did you mean 'x'?` or the empty string.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        nearest(word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Damerau-Levenshtein (optimal string alignment) distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

/// Input echoed back in a message, cut short: a 500 KB number or name from an event line must not
/// become a 500 KB line on stderr or in the store.
public enum Excerpt {
    /// `text` when it has at most `limit` characters, else its first `limit` and `…` with the
    /// length in bytes (`12345678901234567890…(500000 bytes)`).
    public static func of(_ text: some StringProtocol, limit: Int = 40) -> String {
        var count = 0
        var end = text.startIndex
        while end < text.endIndex, count < limit {
            end = text.index(after: end)
            count += 1
        }
        guard end < text.endIndex else { return String(text) }
        return String(text[..<end]) + "…(\(text.utf8.count) bytes)"
    }
}
