import TouchpointCore

extension YAMLReader {
    /// Where each scalar of `value` stands in the source, found by reading the scalar's source text
    /// from `start` the way YAML produced `value` from it: escapes in double quotes (`\t`, `\u00e9`,
    /// an escaped line break), `''` in single quotes, line folding (a line break and the next line's
    /// indentation become one space) and, in a block scalar, the block's indentation on every line.
    /// `nil` when the text does not lead to `value` (then callers fall back to the value's start).
    func places(of value: String, style: ScalarStyle, from start: SourceLocation, blockIndent: Int?)
        -> [ScalarPlace]?
    {
        guard start.line >= 1, start.line <= source.lines.count, start.column >= 1 else { return nil }
        var cursor = Cursor(
            source: self.source, line: start.line, column: start.column, blockIndent: blockIndent)
        var places: [ScalarPlace] = []
        places.reserveCapacity(value.unicodeScalars.count)
        for wanted in value.unicodeScalars {
            var found = false
            while !found {
                guard let c = cursor.current else { return nil }
                if style == .doubleQuoted, c == "\\" {
                    guard let escape = cursor.escape() else { return nil }
                    switch escape {
                    case .lineJoin:
                        cursor.nextLine()
                        cursor.skipSpaces()
                    case .scalar(let decoded, let length):
                        guard decoded == wanted else { return nil }
                        places.append(cursor.place)
                        cursor.column += length
                        found = true
                    }
                    continue
                }
                if style == .singleQuoted, c == "'" {
                    guard cursor.peek(1) == "'", wanted == "'" else { return nil }
                    places.append(cursor.place)
                    cursor.column += 2
                    found = true
                    continue
                }
                let blank = c == " " || c == "\t" || c == "\n"
                // A folded line break becomes a space (or a space a line break): same place.
                if c == wanted || (blank && (wanted == " " || wanted == "\n")) {
                    places.append(cursor.place)
                    cursor.advance()
                    found = true
                } else if blank {
                    // Folded white space and the indentation of continuation lines.
                    cursor.advance()
                } else {
                    return nil
                }
            }
        }
        return places
    }
}

/// A reading position in the source lines; the end of a line reads as `"\n"`.
private struct Cursor {
    let source: YAMLSource
    var line: Int
    var column: Int
    let blockIndent: Int?
    private var scalars: [Unicode.Scalar]

    init(source: YAMLSource, line: Int, column: Int, blockIndent: Int?) {
        self.source = source
        self.line = line
        self.column = column
        self.blockIndent = blockIndent
        scalars = Array(source.lines[line - 1].unicodeScalars)
    }

    enum Escape {
        case scalar(Unicode.Scalar, length: Int)
        case lineJoin
    }

    var place: ScalarPlace { ScalarPlace(line: line, column: column) }

    var current: Unicode.Scalar? { peek(0) }

    func peek(_ ahead: Int) -> Unicode.Scalar? {
        guard line <= source.lines.count else { return nil }
        let i = column - 1 + ahead
        if i < scalars.count { return scalars[i] }
        return i == scalars.count ? "\n" : nil
    }

    mutating func advance() {
        if column - 1 < scalars.count { column += 1 } else { nextLine() }
    }

    mutating func nextLine() {
        line += 1
        column = 1
        scalars = line <= source.lines.count ? Array(source.lines[line - 1].unicodeScalars) : []
        if let blockIndent { column = min(blockIndent + 1, scalars.count + 1) }
    }

    mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { column += 1 }
    }

    /// The double-quoted escape at the cursor (a backslash), YAML 1.2 §5.7.
    func escape() -> Escape? {
        guard let e = peek(1) else { return nil }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\u{0}", "a": "\u{7}", "b": "\u{8}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{B}",
            "f": "\u{C}",
            "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\", "N": "\u{85}",
            "_": "\u{A0}",
            "L": "\u{2028}", "P": "\u{2029}",
        ]
        if e == "\n" { return .lineJoin }
        if let decoded = simple[e] { return .scalar(decoded, length: 2) }
        let digits: Int
        switch e {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default: return nil
        }
        var value: UInt32 = 0
        for k in 0..<digits {
            guard let d = peek(2 + k), d.isASCII, let h = Character(d).hexDigitValue else { return nil }
            value = value << 4 | UInt32(h)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return .scalar(scalar, length: 2 + digits)
    }
}
