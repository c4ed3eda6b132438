import Foundation
import Testing

@testable import TouchpointCore

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("one writer: sorted keys, integers without a fraction, the escapes JSON needs and nothing more")
    func text() {
        let value: JSONValue = [
            "b": [1, 2.5, -3, 1e21, nil, true], "a": "q\"\\\n\r\t\u{1}\u{2028}\u{2029}雷é́/",
        ]
        #expect(value.jsonText == #"{"a":"q\"\\\n\r\t\u0001\u2028\u2029雷é́/","b":[1,2.5,-3,1e+21,null,true]}"#)
        var bytes: [UInt8] = []
        value.append(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == value.jsonText)
    }

    @Test("what it writes, Foundation's JSON parser reads back as the same value")
    func roundTrip() throws {
        var rng = SeededGenerator(seed: 5)
        let alphabet: [String] = [
            "a", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}", "雷", "👍🏽", "e\u{301}",
        ]
        for _ in 0..<300 {
            var s = ""
            for _ in 0..<Int(rng.next() % 8) { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let text = JSONValue.object([s: .string(s)]).jsonText
            let parsed = try #require(
                try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
            #expect(
                parsed.first?.value.unicodeScalars.elementsEqual(s.unicodeScalars) == true,
                "\(s.debugDescription)")
        }
    }

    @Test("the eight-bytes-at-a-time scan flags exactly the words holding a byte to look at")
    func wordScan() {
        let plain = UInt64(0x6161_6161_6161_6161)  // "aaaaaaaa"
        #expect(!JSONValue.mayNeedEscape(plain))
        for position in 0..<8 {
            for value in 0...255 {
                let w = plain & ~(UInt64(0xFF) << (8 * position)) | (UInt64(value) << (8 * position))
                let looks = value < 0x20 || value == 0x22 || value == 0x5C || value == 0xE2
                #expect(JSONValue.mayNeedEscape(w) == looks, "byte \(value) at \(position)")
            }
        }
    }

    @Test("long strings escape as a character-by-character escaper does, whatever the offset of each escape")
    func longStrings() {
        func reference(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{2028}": out += "\\u2028"
                case "\u{2029}": out += "\\u2029"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u00" + (hex.count == 1 ? "0" : "") + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        var rng = SeededGenerator(seed: 17)
        let pieces = [
            "abcdefgh", "a", "xyz", "\"", "\\", "\n", "\u{1}", "\u{1F}", "\u{2028}", "\u{2029}", "\u{2027}",
            "—", "雷",
            "👍🏽", "<p>Hello, {{name}}</p>", String(repeating: "q", count: 37),
        ]
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 40) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            var bytes: [UInt8] = []
            JSONValue.appendQuoted(s, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == reference(s), "\(s.debugDescription)")
        }
    }
}
