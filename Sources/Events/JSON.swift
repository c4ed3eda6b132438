import TouchpointCore

/// A strict RFC 8259 JSON parser from UTF-8 bytes to ``JSONValue``.
///
/// Strictness follows the RFC: no comments, no trailing commas, no leading zeros, no bare
/// control characters in strings, nothing after the value but whitespace. Where the RFC
/// leaves room, this parser chooses:
/// - numbers become `Double`; a number too large for `Double` (`1e400`) is an error rather
///   than an infinity that could not be written back;
/// - a `\u` escape naming a lone UTF-16 surrogate becomes U+FFFD, as most parsers do;
/// - invalid UTF-8 inside a string is an error;
/// - duplicate object keys: the last one wins;
/// - containers may nest at most ``maximumDepth`` levels deep.
public enum JSON {
    /// How deeply arrays and objects may nest; deeper input is an error, not a stack overflow.
    public static let maximumDepth = 128

    /// Parses one JSON text (surrounding whitespace allowed) from UTF-8 bytes.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw JSONError(offset: 0, message: "expected a JSON value, found end of input")
        }
        var parser = JSONParser(base: base, count: bytes.count)
        return try parser.parseDocument()
    }

    /// Parses one JSON text (surrounding whitespace allowed).
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        // `withUTF8` only rethrows untyped errors, so the typed error travels in a `Result`.
        let result = text.withUTF8 { bytes in
            Result { () throws(JSONError) -> JSONValue in try parse(bytes) }
        }
        return try result.get()
    }
}

/// The parsing state over one buffer; unchecked pointer reads keep the hot loops tight.
struct JSONParser {
    let base: UnsafePointer<UInt8>
    let count: Int
    var index = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == count else {
            throw error("unexpected \(describeCurrent()) after the JSON value")
        }
        return value
    }

    // MARK: Values

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard index < count else { throw error("expected a JSON value, found end of input") }
        switch base[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error("expected a JSON value, found \(describeCurrent())")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= JSON.maximumDepth else {
            throw error("nesting deeper than \(JSON.maximumDepth) levels")
        }
        index += 1
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "}") {
            index += 1
            return .object([:])
        }
        // Event objects are small; sizing once avoids rehashing every key on each growth step.
        var members = [String: JSONValue](minimumCapacity: 8)
        while true {
            guard index < count, base[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key in object, found \(describeCurrent())")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key")
            }
            index += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth)
            if try endOfMember() { return .object(members) }
        }
    }

    /// After an object member: consumes `,` (and refuses a trailing one) or `}`; `true` at the object's end.
    mutating func endOfMember() throws(JSONError) -> Bool {
        skipWhitespace()
        guard index < count else { throw error("expected ',' or '}' after object member") }
        switch base[index] {
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            if index < count, base[index] == UInt8(ascii: "}") {
                throw error("trailing comma before '}'")
            }
            return false
        case UInt8(ascii: "}"):
            index += 1
            return true
        default:
            throw error("expected ',' or '}' after object member")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= JSON.maximumDepth else {
            throw error("nesting deeper than \(JSON.maximumDepth) levels")
        }
        index += 1
        skipWhitespace()
        var elements: [JSONValue] = []
        if index < count, base[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            if try endOfElement() { return .array(elements) }
        }
    }

    /// After an array element: consumes `,` (and refuses a trailing one) or `]`; `true` at the array's end.
    mutating func endOfElement() throws(JSONError) -> Bool {
        skipWhitespace()
        guard index < count else { throw error("expected ',' or ']' after array element") }
        switch base[index] {
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            if index < count, base[index] == UInt8(ascii: "]") {
                throw error("trailing comma before ']'")
            }
            return false
        case UInt8(ascii: "]"):
            index += 1
            return true
        default:
            throw error("expected ',' or ']' after array element")
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let p = word.utf8Start
        guard index + n <= count else { throw error("invalid literal, expected '\(word)'") }
        for k in 0..<n where base[index + k] != p[k] {
            throw error("invalid literal, expected '\(word)'")
        }
        index += n
    }

    // MARK: Strings

    /// Parses a string starting at its opening quote.
    ///
    /// The first pass validates and finds the closing quote, eight bytes at a time where nothing needs a
    /// look; strings without escapes are then made straight from the input bytes, the rest are decoded
    /// in a second pass directly into the string's storage.
    mutating func parseString() throws(JSONError) -> String {
        let (raw, escaped) = try scanString()
        return escaped ? Self.unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    /// Validates the string at `index` (its opening quote) and steps past it; returns its raw bytes
    /// between the quotes and whether they contain escapes.
    mutating func scanString() throws(JSONError) -> (raw: UnsafeBufferPointer<UInt8>, escaped: Bool) {
        let quote = index
        let p = base
        let n = count
        let start = quote + 1
        var i = start
        var escaped = false
        while true {
            while i + 8 <= n {
                let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    i += special.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < n else { throw JSONError(offset: quote, message: "unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i = try validateEscape(at: i, quote: quote)
            } else if c < 0x20 {
                index = i
                throw controlCharacterError(c)
            } else if c >= 0x80 {
                index = i
                try skipUTF8Sequence()
                i = index
            } else {
                i += 1
            }
        }
        index = i + 1
        return (UnsafeBufferPointer(start: p + start, count: i - start), escaped)
    }

    /// A mask whose lowest set bit marks the first byte that is `"`, `\`, a control character or
    /// non-ASCII (higher bits may be false positives, which is harmless: only the lowest is used).
    @inline(__always)
    static func specialBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let zeroQuote = (q &- ones) & ~q
        let zeroBackslash = (b &- ones) & ~b
        let control = (w &- ones &* 0x20) & ~w
        return (zeroQuote | zeroBackslash | control | w) & highs
    }

    /// Checks the escape at `i` (a backslash) and returns the index after it.
    func validateEscape(at i: Int, quote: Int) throws(JSONError) -> Int {
        guard i + 1 < count else { throw JSONError(offset: quote, message: "unterminated string") }
        switch base[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            guard hex4(at: i + 2) != nil else {
                throw JSONError(offset: i, message: "invalid \\u escape: expected 4 hex digits")
            }
            return i + 6
        case let e:
            throw JSONError(offset: i, message: "invalid escape '\\\(describeByte(e))' in string")
        }
    }

    /// Decodes the already validated escapes of `raw`; escapes never grow, so `raw.count` bytes suffice.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: raw.count) { out in
            var i = 0
            var o = 0
            func put(_ b: UInt8) {
                out[o] = b
                o += 1
            }
            func putScalar(_ s: UInt32) {
                switch s {
                case 0..<0x80:
                    put(UInt8(s))
                case 0x80..<0x800:
                    put(UInt8(0xC0 | s >> 6))
                    put(UInt8(0x80 | s & 0x3F))
                case 0x800..<0x10000:
                    put(UInt8(0xE0 | s >> 12))
                    put(UInt8(0x80 | s >> 6 & 0x3F))
                    put(UInt8(0x80 | s & 0x3F))
                default:
                    put(UInt8(0xF0 | s >> 18))
                    put(UInt8(0x80 | s >> 12 & 0x3F))
                    put(UInt8(0x80 | s >> 6 & 0x3F))
                    put(UInt8(0x80 | s & 0x3F))
                }
            }
            while i < raw.count {
                let c = raw[i]
                guard c == UInt8(ascii: "\\") else {
                    put(c)
                    i += 1
                    continue
                }
                let e = raw[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    let unit = hex4(raw, at: i)!
                    i += 4
                    var scalar = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate only makes a character together with an escaped low one.
                        if i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                            let low = hex4(raw, at: i + 2), (0xDC00...0xDFFF).contains(low)
                        {
                            scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        scalar = 0xFFFD
                    }
                    putScalar(scalar)
                default: put(e)  // `"`, `\`, `/`
                }
            }
            return o
        }
    }

    func hex4(at i: Int) -> UInt16? {
        Self.hex4(UnsafeBufferPointer(start: base, count: count), at: i)
    }

    static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt16? {
        guard i + 4 <= bytes.count else { return nil }
        var v: UInt16 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    /// Steps over one well-formed multi-byte UTF-8 sequence at `index` (Unicode 15, table 3-7).
    mutating func skipUTF8Sequence() throws(JSONError) {
        let lead = base[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw error("invalid UTF-8 in string")
        }
        guard index + length <= count else { throw error("invalid UTF-8 in string") }
        let second = base[index + 1]
        guard second >= low, second <= high else { throw error("invalid UTF-8 in string") }
        for k in 2..<length where base[index + k] & 0xC0 != 0x80 {
            throw error("invalid UTF-8 in string")
        }
        index += length
    }

    func controlCharacterError(_ c: UInt8) -> JSONError {
        error("control character \(describeByte(c)) must be escaped in a string")
    }

    // MARK: Numbers

    /// Exact powers of ten: with a mantissa below 2^53 one multiply or divide rounds correctly.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
        1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    mutating func parseNumber() throws(JSONError) -> Double {
        let start = index
        let negative = base[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < count, isDigit(base[index]) else { throw error("expected a digit after '-'") }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        if base[index] == UInt8(ascii: "0") {
            index += 1
            if index < count, isDigit(base[index]) {
                throw JSONError(offset: start, message: "leading zeros are not allowed in numbers")
            }
        } else {
            while index < count, isDigit(base[index]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[index] &- 48) }
                digits += 1
                index += 1
            }
        }
        if index < count, base[index] == UInt8(ascii: ".") {
            index += 1
            guard index < count, isDigit(base[index]) else { throw error("expected a digit after '.'") }
            while index < count, isDigit(base[index]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[index] &- 48)
                    exponent -= 1
                }
                // Leading fraction zeros do not use up mantissa precision.
                if mantissa != 0 { digits += 1 }
                index += 1
            }
        }
        if index < count, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var expNegative = false
            if index < count, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") {
                expNegative = base[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < count, isDigit(base[index]) else { throw error("expected a digit in exponent") }
            var e = 0
            while index < count, isDigit(base[index]) {
                if e < 100_000 { e = e * 10 + Int(base[index] &- 48) }
                index += 1
            }
            exponent += expNegative ? -e : e
        }
        if digits <= 19, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            var value = Double(mantissa)
            if exponent < 0 {
                value /= Self.exactPowersOfTen[-exponent]
            } else {
                value *= Self.exactPowersOfTen[exponent]
            }
            return negative ? -value : value
        }
        return try slowNumber(from: start)
    }

    /// Long mantissas and large exponents go through the standard library's correctly rounded parser.
    func slowNumber(from start: Int) throws(JSONError) -> Double {
        let text = String(
            decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError(offset: start, message: "number out of range: \(Excerpt.of(text))")
        }
        return value
    }

    // MARK: Helpers

    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < count {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func error(_ message: String) -> JSONError { JSONError(offset: index, message: message) }

    /// The byte at `index` for an error message: `'x'`, `end of input`, `control character U+000A`.
    func describeCurrent() -> String {
        guard index < count else { return "end of input" }
        let c = base[index]
        if c < 0x80 {
            return c < 0x20 || c == 0x7F ? "control character \(describeByte(c))" : "'\(describeByte(c))'"
        }
        // Show the whole character when the bytes form one, else the raw byte.
        let end = min(count, index + 4)
        var iterator = UnsafeBufferPointer(start: base + index, count: end - index).makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return "'\(Character(scalar))'" }
        return "byte 0x\(String(c, radix: 16, uppercase: true))"
    }

    func describeByte(_ c: UInt8) -> String {
        if c >= 0x20, c < 0x7F { return String(UnicodeScalar(c)) }
        let hex = String(c, radix: 16, uppercase: true)
        if c < 0x80 { return "U+" + String(repeating: "0", count: 4 - hex.count) + hex }
        return "byte 0x" + hex
    }
}
