/// Splits expression source into tokens, reporting the first lexical error with its offset.
///
/// The source is read as Unicode scalars, as CEL defines it: a combining mark or a joiner right
/// after a quote or an escape is just another scalar of the string, and an offset counts scalars.
struct Lexer {
    private let chars: [Unicode.Scalar]
    private var position = 0

    init(_ chars: [Unicode.Scalar]) {
        self.chars = chars
    }

    /// All tokens of the source, ending with `.end`.
    static func tokenize(_ chars: [Unicode.Scalar]) throws(ExpressionError) -> [Token] {
        var lexer = Lexer(chars)
        var tokens: [Token] = []
        tokens.reserveCapacity(chars.count / 2 + 1)
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        let i = position + ahead
        return i < chars.count ? chars[i] : nil
    }

    mutating func next() throws(ExpressionError) -> Token {
        while let c = peek(), c.isWhitespace { position += 1 }
        let start = position
        guard let c = peek() else { return Token(kind: .end, offset: start) }

        if c.isASCIIDigit { return try number() }
        if c.isIdentifierStart {
            while let d = peek(), d.isIdentifierPart { position += 1 }
            return Token(kind: .word(Lexer.string(chars[start..<position])), offset: start)
        }
        if c == "\"" || c == "'" { return try string() }

        position += 1
        let punct: Token.Punct
        switch c {
        case "(": punct = .leftParen
        case ")": punct = .rightParen
        case "[": punct = .leftBracket
        case "]": punct = .rightBracket
        case ".": punct = .dot
        case ",": punct = .comma
        case "?": punct = .question
        case ":": punct = .colon
        case "-": punct = .minus
        case "+": punct = .plus
        case "*": punct = .star
        case "/": punct = .slash
        case "%": punct = .percent
        case "!": punct = take("=") ? .notEqual : .bang
        case "<": punct = take("=") ? .lessEqual : .less
        case ">": punct = take("=") ? .greaterEqual : .greater
        case "=":
            guard take("=") else { throw ExpressionError("unexpected '='; did you mean '=='?", at: start) }
            punct = .equal
        case "&":
            guard take("&") else { throw ExpressionError("unexpected '&'; did you mean '&&'?", at: start) }
            punct = .and
        case "|":
            guard take("|") else { throw ExpressionError("unexpected '|'; did you mean '||'?", at: start) }
            punct = .or
        case "{", "}":
            throw ExpressionError("map literals are not supported", at: start)
        default:
            throw ExpressionError("unexpected character \(Lexer.show(c))", at: start)
        }
        return Token(kind: .punct(punct), offset: start)
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    private mutating func take(_ c: Unicode.Scalar) -> Bool {
        if peek() == c {
            position += 1
            return true
        }
        return false
    }

    /// Decimal numbers with an optional fraction and exponent: `10`, `38.5`, `1e3`, `2.5E-3`.
    private mutating func number() throws(ExpressionError) -> Token {
        let start = position
        while let d = peek(), d.isASCIIDigit { position += 1 }
        // A dot only belongs to the number when a digit follows, so `1.5` is a number but `x[1].y` still works.
        if peek() == ".", let d = peek(1), d.isASCIIDigit {
            position += 1
            while let d = peek(), d.isASCIIDigit { position += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            let exponentStart = position
            position += 1
            if let s = peek(), s == "+" || s == "-" { position += 1 }
            guard let d = peek(), d.isASCIIDigit else {
                throw ExpressionError("malformed number: exponent needs digits", at: exponentStart)
            }
            while let d = peek(), d.isASCIIDigit { position += 1 }
        }
        if let c = peek(), c.isIdentifierPart {
            throw ExpressionError("unexpected character \(Lexer.show(c)) in number", at: position)
        }
        let text = Lexer.string(chars[start..<position])
        guard let value = Double(text), value.isFinite else {
            throw ExpressionError("number '\(text)' is out of range", at: start)
        }
        return Token(kind: .number(value), offset: start)
    }

    /// A single- or double-quoted string on one line, with C-style, `\xHH`, `\uXXXX` and `\UXXXXXXXX` escapes.
    private mutating func string() throws(ExpressionError) -> Token {
        let start = position
        let quote = chars[position]
        position += 1
        var value = ""
        while true {
            guard let c = peek(), !c.isNewline else {
                throw ExpressionError("unterminated string", at: start)
            }
            position += 1
            if c == quote { break }
            if c != "\\" {
                value.unicodeScalars.append(c)
                continue
            }
            let escapeStart = position - 1
            guard let e = peek(), !e.isNewline else {
                throw ExpressionError("unterminated string", at: start)
            }
            position += 1
            switch e {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "\\": value.append("\\")
            case "\"": value.append("\"")
            case "'": value.append("'")
            case "`": value.append("`")
            case "?": value.append("?")
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "v": value.append("\u{0B}")
            case "x": value.unicodeScalars.append(try scalar(hexDigits: 2, escapeStart: escapeStart))
            case "U": value.unicodeScalars.append(try scalar(hexDigits: 8, escapeStart: escapeStart))
            case "u": value.unicodeScalars.append(try utf16Escape(escapeStart: escapeStart))
            default:
                throw ExpressionError("unknown escape sequence '\\\(e)'", at: escapeStart)
            }
        }
        return Token(kind: .string(value), offset: start)
    }

    private mutating func hexValue(digits: Int, escapeStart: Int) throws(ExpressionError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let c = peek(), c.isASCII, let h = Character(c).hexDigitValue else {
                throw ExpressionError("escape sequence needs \(digits) hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(h)
            position += 1
        }
        return value
    }

    private mutating func scalar(hexDigits: Int, escapeStart: Int) throws(ExpressionError) -> Unicode.Scalar {
        let value = try hexValue(digits: hexDigits, escapeStart: escapeStart)
        guard let scalar = Unicode.Scalar(value) else {
            throw ExpressionError("escape sequence is not a valid unicode scalar", at: escapeStart)
        }
        return scalar
    }

    /// `\uXXXX`, accepting a JSON-style surrogate pair `\uD83D\uDE00` because authors paste those from JSON.
    private mutating func utf16Escape(escapeStart: Int) throws(ExpressionError) -> Unicode.Scalar {
        let high = try hexValue(digits: 4, escapeStart: escapeStart)
        if (0xD800...0xDBFF).contains(high), peek() == "\\", peek(1) == "u" {
            let lowStart = position
            position += 2
            let low = try hexValue(digits: 4, escapeStart: lowStart)
            if (0xDC00...0xDFFF).contains(low) {
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            throw ExpressionError("escape sequence is not a valid unicode scalar", at: escapeStart)
        }
        guard let scalar = Unicode.Scalar(high) else {
            throw ExpressionError("escape sequence is not a valid unicode scalar", at: escapeStart)
        }
        return scalar
    }

    /// A character quoted for a message, with invisible ones spelled as `U+0007`.
    /// A scalar quoted for a message, with invisible ones (controls, format and combining marks)
    /// spelled as `U+0301`.
    static func show(_ s: Unicode.Scalar) -> String {
        let category = s.properties.generalCategory
        if s.value < 0x20 || s.value == 0x7F || category == .format || category == .nonspacingMark
            || category == .enclosingMark || category == .spacingMark
        {
            let hex = String(s.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return "'\(Character(s))'"
    }
}

extension Unicode.Scalar {
    var isASCIIDigit: Bool { value >= 0x30 && value <= 0x39 }

    var isIdentifierStart: Bool {
        (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) || value == 0x5F
    }

    var isIdentifierPart: Bool { isIdentifierStart || isASCIIDigit }

    /// White space between tokens: CEL's space, tab, newline, form feed and carriage return, and
    /// also other Unicode spaces (an ideographic space typed in a Chinese rule file).
    var isWhitespace: Bool { properties.isWhitespace }

    /// A line end inside a string literal.
    var isNewline: Bool { value == 0x0A || value == 0x0D }
}
