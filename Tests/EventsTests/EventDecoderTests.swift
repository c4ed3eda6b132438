import Testing
import TouchpointCore

@testable import Events

private let decoder = EventDecoder()

private func decode(_ line: String, line number: Int = 1) -> Result<Event, EventRejection>? {
    decoder.decode(line: line, file: "events.jsonl", lineNumber: number)
}

private func decode(bytes: [UInt8]) -> Result<Event, EventRejection>? {
    bytes.withUnsafeBufferPointer { decoder.decode(line: $0, file: "events.jsonl", lineNumber: 1) }
}

private func rejection(_ line: String) -> EventRejection? {
    if case .failure(let r)? = decode(line) { return r }
    return nil
}

private func ts(_ text: String) throws -> Timestamp { try #require(ISO8601.parse(text)) }

@Suite("Event decoder")
struct EventDecoderTests {
    @Test("decodes the SPEC §1 identify example exactly, Chinese name and +08:00 offset included")
    func specIdentify() throws {
        let line =
            #"{"type":"identify","userId":"u42","timestamp":"2026-11-20T09:58:00+08:00","traits":{"email":"li@example.com","phone":"+8613800138000","first_name":"雷","timezone":"Asia/Shanghai","locale":"zh-CN"}}"#
        let event = try #require(decode(line, line: 1)).get()
        #expect(
            event
                == Event(
                    kind: .identify, userId: "u42", timestamp: try ts("2026-11-20T01:58:00Z").offset(28_800),
                    traits: [
                        "email": "li@example.com", "phone": "+8613800138000", "first_name": "雷",
                        "timezone": "Asia/Shanghai", "locale": "zh-CN",
                    ], source: SourceLocation(file: "events.jsonl", line: 1)))
        #expect(event.timestamp.offsetSeconds == 28_800)
        #expect(event.timestamp.text == "2026-11-20T09:58:00+08:00")
    }

    @Test("decodes the SPEC §1 track example exactly")
    func specTrack() throws {
        let line =
            #"{"type":"track","event":"Product Added","userId":"u42","messageId":"e-1001","timestamp":"2026-11-20T10:00:00+08:00","properties":{"sku":"TEA-01","price":38.5,"cart_url":"https://shop.example/cart/42"}}"#
        let event = try #require(decode(line, line: 2)).get()
        #expect(
            event
                == Event(
                    kind: .track, name: "Product Added", userId: "u42", messageId: "e-1001",
                    timestamp: try ts("2026-11-20T10:00:00+08:00"),
                    properties: ["sku": "TEA-01", "price": 38.5, "cart_url": "https://shop.example/cart/42"],
                    source: SourceLocation(file: "events.jsonl", line: 2)))
        #expect(event.instant == (try ts("2026-11-20T02:00:00Z")).instant)
        #expect(event.source?.description == "events.jsonl:2")
    }

    @Test("reads page, screen, group and alias as other kinds without a name or traits")
    func otherKinds() throws {
        for type in ["page", "screen", "group", "alias"] {
            let line =
                #"{"type":"\#(type)","userId":"u1","timestamp":"2026-01-01T00:00:00Z","event":"X","traits":{"plan":"pro"}}"#
            let event = try #require(decode(line)).get()
            #expect(event.kind == .other(type))
            #expect(event.name == nil)
            #expect(event.traits.isEmpty)
        }
    }

    @Test("accepts a whole-number userId as its decimal string")
    func numericUserId() throws {
        let event = try #require(decode(#"{"type":"page","userId":42,"timestamp":"2026-01-01T00:00:00Z"}"#))
            .get()
        #expect(event.userId == "42")
    }

    @Test("overlays top-level identify traits on context.traits")
    func contextTraits() throws {
        let line =
            #"{"type":"identify","userId":"u1","timestamp":"2026-01-01T00:00:00Z","context":{"traits":{"email":"old@x","plan":"pro"}},"traits":{"email":"new@x"}}"#
        let event = try #require(decode(line)).get()
        #expect(event.traits == ["email": "new@x", "plan": "pro"])
    }

    @Test("treats an empty or null messageId as absent and null properties as empty")
    func optionalFields() throws {
        let a = try #require(
            decode(
                #"{"type":"track","event":"A","userId":"u","messageId":"","timestamp":"2026-01-01T00:00:00Z"}"#
            )
        ).get()
        #expect(a.messageId == nil)
        let b = try #require(
            decode(
                #"{"type":"track","event":"A","userId":"u","messageId":null,"properties":null,"timestamp":"2026-01-01T00:00:00.250Z"}"#
            )
        ).get()
        #expect(b.messageId == nil)
        #expect(b.properties.isEmpty)
        #expect(b.instant.milliseconds % 1000 == 250)
    }

    @Test(
        "rejects lines with a missing or malformed field, naming it",
        arguments: [
            (
                #"{"type":"track","event":"A","timestamp":"2026-01-01T00:00:00Z"}"#,
                "missing required field 'userId'"
            ),
            (
                #"{"type":"track","event":"A","user_id":"u","timestamp":"2026-01-01T00:00:00Z"}"#,
                "missing required field 'userId'; found 'user_id', did you mean 'userId'?"
            ),
            (
                #"{"event":"A","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#,
                "missing required field 'type'"
            ),
            (
                #"{"type":"track","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#,
                "missing required field 'event'"
            ),
            (#"{"type":"track","event":"A","userId":"u"}"#, "missing required field 'timestamp'"),
            (
                #"{"type":"track","event":"","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#,
                "'event' must not be empty"
            ),
            (
                #"{"type":"track","event":"A","userId":"","timestamp":"2026-01-01T00:00:00Z"}"#,
                "'userId' must not be empty"
            ),
            (
                #"{"type":"track","event":"A","userId":true,"timestamp":"2026-01-01T00:00:00Z"}"#,
                "'userId' must be a non-empty string, found bool"
            ),
            (
                #"{"type":"track","event":"A","userId":1.5,"timestamp":"2026-01-01T00:00:00Z"}"#,
                "'userId' must be a non-empty string, found number"
            ),
            (
                #"{"type":"track","event":"A","userId":null,"timestamp":"2026-01-01T00:00:00Z"}"#,
                "'userId' must be a non-empty string, found null"
            ),
            (
                #"{"type":"track","event":"A","userId":"u","timestamp":"yesterday"}"#,
                #"'timestamp' is not an ISO 8601 time with an offset: "yesterday""#
            ),
            (
                #"{"type":"track","event":"A","userId":"u","timestamp":"2026-01-01T00:00:00"}"#,
                #"'timestamp' is not an ISO 8601 time with an offset: "2026-01-01T00:00:00""#
            ),
            (
                #"{"type":"track","event":"A","userId":"u","timestamp":1767225600}"#,
                "'timestamp' must be a string, found number"
            ),
            (
                #"{"type":"trak","event":"A","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#,
                "unknown event type 'trak' (expected track, identify, page, screen, group or alias); did you mean 'track'?"
            ),
            (
                #"{"type":"track","event":"A","userId":"u","messageId":7,"timestamp":"2026-01-01T00:00:00Z"}"#,
                "'messageId' must be a string, found number"
            ),
            (
                #"{"type":"track","event":"A","userId":"u","properties":[1],"timestamp":"2026-01-01T00:00:00Z"}"#,
                "'properties' must be an object, found list"
            ),
            (
                #"{"type":"identify","userId":"u","traits":"x","timestamp":"2026-01-01T00:00:00Z"}"#,
                "'traits' must be an object, found string"
            ),
            (#"[1,2]"#, "expected a JSON object, found list"),
            (#""hello""#, "expected a JSON object, found string"),
        ])
    func fieldRejections(line: String, reason: String) throws {
        let r = try #require(rejection(line))
        #expect(r == EventRejection(file: "events.jsonl", line: 1, column: nil, reason: reason))
    }

    @Test(
        "rejects a control character in an id, escaped or not, naming the field and the character (issue 12 #2)",
        arguments: [
            (
                #"{"type":"track","event":"A","userId":"victim\u0000x","timestamp":"2026-01-01T00:00:00Z"}"#,
                "userId", "U+0000", 7
            ),
            (
                #"{"type":"track","event":"A","userId":"u","messageId":"order\u0000-1","timestamp":"2026-01-01T00:00:00Z"}"#,
                "messageId", "U+0000", 6
            ),
            (
                #"{"type":"track","event":"A\nB","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#, "event",
                "U+000A", 2
            ),
            (
                #"{"type":"identify","userId":"雷\u001b[31m","timestamp":"2026-01-01T00:00:00Z"}"#, "userId",
                "U+001B", 2
            ),
            (
                #"{"type":"track","event":"A","userId":"u\u007f","timestamp":"2026-01-01T00:00:00Z"}"#,
                "userId", "U+007F", 2
            ),
            (
                #"{"type":"track","event":"A","userId":"u\u0085","timestamp":"2026-01-01T00:00:00Z"}"#,
                "userId", "U+0085", 2
            ),
            (
                #"{"type":"track","event":"A","userId":"u\tv","timestamp":"2026-01-01T00:00:00Z"}"#, "userId",
                "U+0009", 2
            ),
        ])
    func controlCharactersInIds(line: String, field: String, code: String, position: Int) throws {
        let r = try #require(rejection(line))
        #expect(
            r.reason
                == "'\(field)' contains a control character (\(code) at character \(position)); ids must be printable text"
        )
    }

    @Test("accepts ids with spaces, non-ASCII letters and symbols: only control characters are refused")
    func printableIdsAccepted() throws {
        let event = try #require(
            decode(
                #"{"type":"track","event":"Größe geändert ✓","userId":"雷 <x@y>","messageId":"a b\u00a0c","timestamp":"2026-01-01T00:00:00Z"}"#
            )
        ).get()
        #expect(event.userId == "雷 <x@y>")
        #expect(event.messageId == "a b\u{00A0}c")
    }

    @Test("rejects invalid JSON with a 1-based character column")
    func jsonColumn() throws {
        let r = try #require(rejection(#"{"type" "track"}"#))
        #expect(r.column == 9)
        #expect(r.reason == "invalid JSON at column 9: expected ':' after object key")
        #expect(r.description == "events.jsonl:1: invalid JSON at column 9: expected ':' after object key")
        #expect(r.location.description == "events.jsonl:1:9")
    }

    @Test("counts multi-byte characters once when computing the column")
    func jsonColumnMultibyte() throws {
        let r = try #require(rejection(#"{"a":"雷" x}"#))
        #expect(r.column == 10)
        #expect(r.reason == "invalid JSON at column 10: expected ',' or '}' after object member")
    }

    @Test("cuts long bad values short in the reason")
    func longValueTruncated() throws {
        let junk = String(repeating: "x", count: 500)
        let r = try #require(rejection(#"{"type":"page","userId":"u","timestamp":"\#(junk)"}"#))
        #expect(r.reason.count < 150)
        #expect(r.reason.hasSuffix("…\""))
    }

    @Test("rejects invalid UTF-8")
    func invalidUTF8() throws {
        var bytes = Array(#"{"type":"page","userId":"u"#.utf8)
        bytes += [0xFF]
        bytes += Array(#"","timestamp":"2026-01-01T00:00:00Z"}"#.utf8)
        guard case .failure(let r)? = decode(bytes: bytes) else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(r.reason == "invalid JSON at column 27: invalid UTF-8 in string")
    }

    @Test("skips blank lines instead of rejecting them", arguments: ["", " ", "\t \r", "\r\n"])
    func blankLines(line: String) {
        #expect(decode(line) == nil)
    }

    @Test("skips a UTF-8 byte order mark before the object")
    func byteOrderMark() throws {
        let bytes: [UInt8] =
            [0xEF, 0xBB, 0xBF]
            + Array(#"{"type":"page","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#.utf8)
        let event = try #require(decode(bytes: bytes)).get()
        #expect(event.userId == "u")
        #expect(decode(bytes: [0xEF, 0xBB, 0xBF]) == nil)
    }

    @Test("lets the last duplicate top-level field win and matches keys written with escapes")
    func duplicatesAndEscapedKeys() throws {
        let line =
            #"{"type":"page","userId":"a","user\u0049d":"b","timestamp":"2026-01-01T00:00:00Z","userId":"c"}"#
        let event = try #require(decode(line)).get()
        #expect(event.userId == "c")
        let escaped = try #require(
            decode(#"{"type":"page","user\u0049d":"b","timestamp":"2026-01-01T00:00:00Z"}"#)
        ).get()
        #expect(escaped.userId == "b")
    }

    @Test("still validates the members it skips")
    func skippedMembersValidated() throws {
        let base = #"{"type":"page","userId":"u","timestamp":"2026-01-01T00:00:00Z","#
        let bad = try #require(rejection(base + #""context":{"ip":"1.2.3.4","library":{"v":01}}}"#))
        #expect(bad.reason == "invalid JSON at column 105: leading zeros are not allowed in numbers")
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let tooDeep = try #require(rejection(base + #""integrations":"# + deep + "}"))
        #expect(tooDeep.reason.hasSuffix("nesting deeper than 128 levels"))
        let cut = try #require(rejection(#"{"type":"page","context":"#))
        #expect(cut.reason == "invalid JSON at column 26: expected a JSON value, found end of input")
        let cutInside = try #require(rejection(#"{"type":"page","context":{"traits":"#))
        #expect(cutInside.reason == "invalid JSON at column 36: expected a JSON value, found end of input")
        let garbage = try #require(rejection(base + #""x":[1,{"a":[true,null,"s\n"]}]} x"#))
        #expect(garbage.reason.hasSuffix("unexpected 'x' after the JSON value"))
        let ok = try #require(decode(base + #""x":[1,{"a":[true,null,"s\n",-2.5e3]}],"y":{}}"#)).get()
        #expect(ok.userId == "u")
    }

    @Test("reads context.traits only from an object context, for identify only")
    func contextShapes() throws {
        let identify = #"{"type":"identify","userId":"u","timestamp":"2026-01-01T00:00:00Z","#
        let a = try #require(decode(identify + #""context":"web","traits":{"a":1}}"#)).get()
        #expect(a.traits == ["a": 1])
        let b = try #require(
            decode(identify + #""context":{"traits":{"a":1}},"context":{"ip":"x"}}"#)
        ).get()
        #expect(b.traits.isEmpty)
        let c = try #require(rejection(identify + #""context":{"traits":[1]}}"#))
        #expect(c.reason == "'context.traits' must be an object, found list")
        let track = try #require(
            decode(
                #"{"type":"track","event":"A","userId":"u","timestamp":"2026-01-01T00:00:00Z","context":{"traits":{"a":1}}}"#
            )
        ).get()
        #expect(track.traits.isEmpty)
    }

    @Test("converts a rejection to an invalid-event diagnostic")
    func diagnostic() throws {
        let r = EventRejection(file: "e.jsonl", line: 3, reason: "missing required field 'userId'")
        #expect(r.diagnostic.description == "e.jsonl:3: error: missing required field 'userId'")
        #expect(r.diagnostic.code == "invalid-event")
    }
}

extension Timestamp {
    /// The same instant written with another offset.
    fileprivate func offset(_ seconds: Int32) -> Timestamp {
        Timestamp(instant: instant, offsetSeconds: seconds)
    }
}
