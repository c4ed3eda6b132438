import Testing
import TouchpointCore

@testable import Events

/// Parses raw bytes, so tests can feed invalid UTF-8.
private func parse(bytes: [UInt8]) -> Result<JSONValue, JSONError> {
    bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(JSONError) -> JSONValue in try JSON.parse(buffer) }
    }
}

private func parse(_ text: String) -> Result<JSONValue, JSONError> {
    Result { () throws(JSONError) -> JSONValue in try JSON.parse(text) }
}

private func error(_ text: String) -> JSONError? {
    if case .failure(let e) = parse(text) { return e }
    return nil
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "accepts every JSON value kind with surrounding whitespace",
        arguments: [
            ("{}", JSONValue.object([:])),
            ("[]", .array([])),
            (" \t\r\n null \n", .null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("\"\"", .string("")),
            ("[1, \"a\", [true], {\"k\": null}]", .array([1, "a", [true], ["k": nil]])),
            ("{\"a\":{\"b\":[1,2]},\"c\":\"d\"}", .object(["a": ["b": [1, 2]], "c": "d"])),
        ])
    func acceptsValues(text: String, expected: JSONValue) throws {
        #expect(try parse(text).get() == expected)
    }

    @Test(
        "parses numbers to the nearest Double",
        arguments: [
            ("0", 0.0), ("-0", -0.0), ("7", 7), ("-12", -12), ("1.5", 1.5), ("-1.5e3", -1500), ("1E+2", 100),
            ("1e-2", 0.01), ("0.1", 0.1), ("38.5", 38.5), ("0.000001", 0.000001), ("1e22", 1e22),
            ("1e23", 1e23),
            ("12345678901234567890", 12345678901234567890.0), ("123456789012345678", 123456789012345678.0),
            ("9007199254740993", 9007199254740992.0), ("1.7976931348623157e308", 1.7976931348623157e308),
            ("5e-324", Double.leastNonzeroMagnitude), ("0.30000000000000004", 0.30000000000000004),
            ("3.141592653589793238462643383279", 3.141592653589793), ("1e-400", 0),
            ("0.0000000000000000000000000001", 1e-28),
        ])
    func parsesNumbers(text: String, expected: Double) throws {
        let value = try parse(text).get()
        #expect(value == .number(expected))
        if expected == 0 { #expect(value.numberValue?.sign == expected.sign) }
    }

    @Test("decodes every simple escape")
    func simpleEscapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#).get() == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""a\nb""#).get() == .string("a\nb"))
    }

    @Test(
        "decodes \\u escapes, joining surrogate pairs",
        arguments: [
            (#""\u00e9""#, "é"), (#""\u4E2D\u6587""#, "中文"), (#""\ud83d\ude00""#, "😀"),
            (#""x\u0000y""#, "x\u{0}y"),
            (#""\u0041BC""#, "ABC"),
        ])
    func unicodeEscapes(text: String, expected: String) throws {
        #expect(try parse(text).get() == .string(expected))
    }

    @Test(
        "replaces lone surrogates with U+FFFD",
        arguments: [
            (#""\ud83d""#, "\u{FFFD}"), (#""\ude00""#, "\u{FFFD}"), (#""\ud83dx""#, "\u{FFFD}x"),
            (#""\ud83d\u0041""#, "\u{FFFD}A"), (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
        ])
    func loneSurrogates(text: String, expected: String) throws {
        #expect(try parse(text).get() == .string(expected))
    }

    @Test("keeps raw multi-byte UTF-8 in strings and keys")
    func multibyte() throws {
        #expect(try parse(#"{"名":"雷","e":"é😀"}"#).get() == ["名": "雷", "e": "é😀"])
    }

    @Test("lets the last of duplicate keys win")
    func duplicateKeys() throws {
        #expect(try parse(#"{"a":1,"b":2,"a":3}"#).get() == ["a": 3, "b": 2])
    }

    @Test("allows nesting up to the depth limit and rejects one level more")
    func depthLimit() throws {
        let ok =
            String(repeating: "[", count: JSON.maximumDepth)
            + String(repeating: "]", count: JSON.maximumDepth)
        #expect(throws: Never.self) { try parse(ok).get() }
        let deep = String(repeating: "[", count: JSON.maximumDepth + 1) + "]"
        #expect(
            error(deep) == JSONError(offset: JSON.maximumDepth, message: "nesting deeper than 128 levels"))
        let objects = String(repeating: "{\"a\":", count: 200) + "1" + String(repeating: "}", count: 200)
        #expect(error(objects)?.message == "nesting deeper than 128 levels")
    }

    @Test(
        "rejects malformed input with the offset and reason",
        arguments: [
            ("", 0, "expected a JSON value, found end of input"),
            ("   ", 3, "expected a JSON value, found end of input"),
            ("1.", 2, "expected a digit after '.'"),
            ("1.e5", 2, "expected a digit after '.'"),
            ("01", 0, "leading zeros are not allowed in numbers"),
            ("-01", 0, "leading zeros are not allowed in numbers"),
            ("-", 1, "expected a digit after '-'"),
            ("-a", 1, "expected a digit after '-'"),
            ("1e", 2, "expected a digit in exponent"),
            ("1e+", 3, "expected a digit in exponent"),
            ("+1", 0, "expected a JSON value, found '+'"),
            (".5", 0, "expected a JSON value, found '.'"),
            ("1e400", 0, "number out of range: 1e400"),
            ("-1e400", 0, "number out of range: -1e400"),
            // A huge number is echoed as a short excerpt, not whole.
            (
                "9" + String(repeating: "0", count: 500) + "e400", 0,
                "number out of range: 9000000000000000000000000000000000000000…(505 bytes)"
            ),
            (#""\u00""#, 1, "invalid \\u escape: expected 4 hex digits"),
            (#""\u12G4""#, 1, "invalid \\u escape: expected 4 hex digits"),
            (#""\x""#, 1, "invalid escape '\\x' in string"),
            (#""abc"#, 0, "unterminated string"),
            (#"["abc\"#, 1, "unterminated string"),
            ("\"a\nb\"", 2, "control character U+000A must be escaped in a string"),
            ("\"a\tb\"", 2, "control character U+0009 must be escaped in a string"),
            (#"{"a" 1}"#, 5, "expected ':' after object key"),
            (#"{"a":1 "b":2}"#, 7, "expected ',' or '}' after object member"),
            (#"{"a":1"#, 6, "expected ',' or '}' after object member"),
            (#"{"a":1,}"#, 7, "trailing comma before '}'"),
            (#"{a:1}"#, 1, "expected a string key in object, found 'a'"),
            (#"{"#, 1, "expected a string key in object, found end of input"),
            ("[1 2]", 3, "expected ',' or ']' after array element"),
            ("[1,]", 3, "trailing comma before ']'"),
            ("[", 1, "expected a JSON value, found end of input"),
            ("tru", 0, "invalid literal, expected 'true'"),
            ("nul1", 0, "invalid literal, expected 'null'"),
            ("NaN", 0, "expected a JSON value, found 'N'"),
            ("1 2", 2, "unexpected '2' after the JSON value"),
            ("{} x", 3, "unexpected 'x' after the JSON value"),
            ("'a'", 0, "expected a JSON value, found '''"),
            ("[\u{1}]", 1, "expected a JSON value, found control character U+0001"),
            ("\u{FEFF}{}", 0, "expected a JSON value, found '\u{FEFF}'"),
        ])
    func rejects(text: String, offset: Int, message: String) {
        #expect(error(text) == JSONError(offset: offset, message: message))
    }

    @Test(
        "rejects invalid UTF-8 inside strings at the offending byte",
        arguments: [
            [0x22, 0xC3, 0x28, 0x22],  // lead byte without continuation
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate encoded in UTF-8
            [0x22, 0xE4, 0xB8, 0x22],  // truncated 3-byte sequence
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0x80, 0x22],  // stray continuation byte
            [0x22, 0xFF, 0x22],
        ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        guard case .failure(let e) = parse(bytes: bytes) else {
            Issue.record("accepted invalid UTF-8 \(bytes)")
            return
        }
        #expect(e == JSONError(offset: 1, message: "invalid UTF-8 in string"))
    }

    @Test("rejects a string cut off inside a multi-byte character")
    func truncatedAtEnd() {
        guard case .failure(let e) = parse(bytes: [0x22, 0xE4, 0xB8]) else {
            Issue.record("accepted truncated input")
            return
        }
        #expect(e.offset == 1)
    }

    @Test("finds special bytes at every position of a long string, across 8-byte words")
    func everyPosition() throws {
        let filler = Array("abcdefghijklmnopqrstuvwx".utf8)
        for k in 0..<filler.count {
            var control = filler
            control[k] = 0x0A
            let bytes: [UInt8] = [0x22] + control + [0x22]
            #expect(
                parse(bytes: bytes)
                    == .failure(
                        JSONError(
                            offset: k + 1, message: "control character U+000A must be escaped in a string")))

            var quote = filler
            quote[k] = 0x22
            let early = parse(bytes: [0x22] + quote + [0x22])
            #expect((try? early.get()) == nil, "quote at \(k)")
            if case .failure(let e) = early { #expect(e.offset == k + 2) }

            let accented =
                String(decoding: filler[..<k], as: UTF8.self) + "é"
                + String(decoding: filler[k...], as: UTF8.self)
            #expect(try parse("\"" + accented + "\"").get() == .string(accented))

            let escaped =
                String(decoding: filler[..<k], as: UTF8.self) + "\\n"
                + String(decoding: filler[k...], as: UTF8.self)
            let expected =
                String(decoding: filler[..<k], as: UTF8.self) + "\n"
                + String(decoding: filler[k...], as: UTF8.self)
            #expect(try parse("\"" + escaped + "\"").get() == .string(expected))
        }
    }

    @Test("describes errors with their byte offset")
    func errorDescription() {
        #expect(
            JSONError(offset: 4, message: "unterminated string").description == "byte 4: unterminated string")
    }

    @Test("parses a strings-with-escapes value twice in a row without leaking scratch bytes")
    func scratchReuse() throws {
        #expect(try parse(#"["a\"b","c\nd","plain"]"#).get() == ["a\"b", "c\nd", "plain"])
    }
}
