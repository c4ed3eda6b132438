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
}
