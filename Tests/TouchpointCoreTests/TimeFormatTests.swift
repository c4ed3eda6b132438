import Testing

@testable import TouchpointCore

@Suite("ISO 8601 output")
struct TimeFormatTests {
    let winter = ISO8601.parse("2026-11-20T10:00:00Z")!.instant

    @Test("a local time at UTC is +00:00; only UTC itself is Z (RFC 3339 §4.3)")
    func zeroOffset() {
        #expect(Zone("Europe/London")!.format(winter) == "2026-11-20T10:00:00+00:00")
        #expect(Zone("Atlantic/Reykjavik")!.format(winter) == "2026-11-20T10:00:00+00:00")
        #expect(Zone.utc.format(winter) == "2026-11-20T10:00:00Z")
        #expect(Zone("Etc/UTC")!.format(winter) == "2026-11-20T10:00:00Z")
        #expect(
            Zone("Europe/London")!.format(ISO8601.parse("2026-07-01T10:00:00Z")!.instant)
                == "2026-07-01T11:00:00+01:00")
        // An offset alone (an event's own timestamp) keeps Z for zero.
        #expect(ISO8601.format(winter, offsetSeconds: 0) == "2026-11-20T10:00:00Z")
    }

    @Test("the byte writer and the String agree, with milliseconds, odd offsets and far years")
    func bytesAndString() {
        let cases: [(Instant, Int)] = [
            (winter, 0), (winter, 8 * 3600), (winter, -(3 * 3600 + 30 * 60)), (winter, 12 * 3600 + 45 * 60),
            (Instant(milliseconds: winter.milliseconds + 7), 3600),
            (Instant(milliseconds: -62_135_596_800_000), 0),
            (Instant(milliseconds: 253_402_300_799_000), 0),
        ]
        for (instant, offset) in cases {
            var bytes: [UInt8] = []
            ISO8601.append(instant, offsetSeconds: offset, zulu: false, to: &bytes)
            #expect(
                String(decoding: bytes, as: UTF8.self)
                    == ISO8601.format(instant, offsetSeconds: offset, zulu: false))
            let text = ISO8601.format(instant, offsetSeconds: offset)
            #expect(ISO8601.parse(text)?.instant == instant, "\(text)")
        }
        #expect(
            ISO8601.format(Instant(milliseconds: winter.milliseconds + 7), offsetSeconds: 3600)
                == "2026-11-20T11:00:00.007+01:00")
        #expect(ISO8601.format(winter, offsetSeconds: -(3 * 3600 + 30 * 60)) == "2026-11-20T06:30:00-03:30")
        #expect(
            ISO8601.format(Instant(milliseconds: -62_135_596_800_000), offsetSeconds: 0)
                == "0001-01-01T00:00:00Z")
    }
}
