import Foundation
import Testing

@testable import TouchpointCore

@Suite("Durations")
struct TimeSpanTests {
    @Test(
        "the SPEC's duration forms parse",
        arguments: [
            ("45s", 45), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("7d", 604_800), ("2w", 1_209_600),
            ("0", 0),
            ("1d12h", 129_600),
        ] as [(String, Int64)])
    func parses(text: String, seconds: Int64) {
        #expect(TimeSpan(parsing: text)?.seconds == seconds)
    }

    @Test(
        "malformed durations are refused",
        arguments: ["", "h", "1", "1x", "30m1h", "1h1h", "-1h", "1.5h", "99999999999d"])
    func refuses(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    @Test("durations print canonically")
    func prints() {
        #expect(TimeSpan(seconds: 5400).description == "1h30m")
        #expect(TimeSpan.zero.description == "0s")
        #expect(TimeSpan.days(14).description == "2w")
        #expect(TimeSpan.days(30).description == "30d")
        #expect(TimeSpan(seconds: 15 * 86_400 + 3600).description == "15d1h")
    }

    @Test("a parsed duration prints as written: 30d stays 30d, 1d24h stays 1d24h; equality is by length")
    func printsAsWritten() throws {
        let thirty = try #require(TimeSpan(parsing: "30d"))
        #expect(thirty.description == "30d")
        let odd = try #require(TimeSpan(parsing: "1d24h"))
        #expect(odd.description == "1d24h")
        #expect(odd == TimeSpan.days(2))
        #expect(Set([odd, TimeSpan.days(2)]).count == 1)
        var changed = odd
        changed.seconds += 60
        #expect(changed.description == "2d1m")
    }
}

@Suite("ISO 8601 times")
struct ISO8601Tests {
    @Test("an offset time keeps its instant and its offset")
    func offsetTime() throws {
        let t = try #require(ISO8601.parse("2026-11-20T10:00:00+08:00"))
        #expect(t.instant == ISO8601.parse("2026-11-20T02:00:00Z")!.instant)
        #expect(t.offsetSeconds == 28_800)
        #expect(t.text == "2026-11-20T10:00:00+08:00")
    }

    @Test("fractions, lowercase z and compact offsets parse")
    func variants() throws {
        #expect(ISO8601.parse("2026-11-20T02:00:00.250Z")?.instant.milliseconds == 1_795_140_000_250)
        #expect(ISO8601.parse("2026-11-20t02:00:00z") != nil)
        #expect(ISO8601.parse("2026-11-20T10:00:00+0800")?.offsetSeconds == 28_800)
        #expect(
            ISO8601.parse("2026-11-19T21:00:00-05:00")?.instant
                == ISO8601.parse("2026-11-20T02:00:00Z")?.instant)
    }

    @Test(
        "times without an offset or with impossible fields are refused",
        arguments: [
            "2026-11-20T10:00:00", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z", "yesterday",
            "2026-11-20T25:00:00Z",
            "2026-11-20T10:00:00+08:00x", "",
        ])
    func refuses(text: String) {
        #expect(ISO8601.parse(text) == nil)
    }

    @Test("formatting round-trips across the epoch and leap days")
    func roundTrip() {
        for text in ["1969-12-31T23:59:59Z", "2024-02-29T12:00:00+05:30", "2000-01-01T00:00:00.001Z"] {
            #expect(ISO8601.parse(text)?.text == text)
        }
    }
}

@Suite("Time zones")
struct ZoneTests {
    @Test("a DST gap has no instant and a repeated hour has two")
    func dst() throws {
        let ny = try #require(Zone("America/New_York"))
        #expect(ny.instants(year: 2026, month: 3, day: 8, hour: 2, minute: 30).isEmpty)
        #expect(ny.instants(year: 2026, month: 11, day: 1, hour: 1, minute: 30).count == 2)
        #expect(ny.instants(year: 2026, month: 11, day: 20, hour: 20, minute: 0).count == 1)
    }

    @Test("times print in the zone with its offset")
    func format() throws {
        let sh = try #require(Zone("Asia/Shanghai"))
        #expect(sh.format(ISO8601.parse("2026-11-20T02:00:00Z")!.instant) == "2026-11-20T10:00:00+08:00")
        #expect(Zone("Mars/Olympus") == nil)
    }
}

@Suite("Stable ids")
struct StableIDTests {
    @Test("SHA-256 matches the FIPS test vectors")
    func vectors() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a long input and a non-contiguous collection hash as the reference does")
    func longInput() {
        let text = String(repeating: "a", count: 1000)
        #expect(SHA256.hex(text) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        #expect(SHA256.hash(Array(text.utf8).lazy.map { $0 }) == SHA256.hash(Array(text.utf8)))
    }

    @Test("message ids and seeds are byte-identical to before swift-crypto (pinned; Python's hashlib agrees)")
    func pinnedIds() {
        // The example story's SPEC §1 cart reminder for 雷 (examples/events.jsonl line 83).
        #expect(
            StableID.message(rule: "cart-abandoned", customer: "u42", trigger: "e-0074")
                == "41e6647ee87b150625c05f86bb06f746")
        #expect(
            StableID.message(rule: "welcome", customer: "雷", trigger: "e-1")
                == "59b5c8051e4c608965e0c31dfa87d48a")
        #expect(StableID.message(rule: "", customer: "", trigger: "") == "8ba606092368a0e97241f57b85790ef6")
        #expect(StableID.seed("m1/email") == 6_719_602_790_680_604_319)
        #expect(StableID.seed("") == 16_406_829_232_824_261_652)
        #expect(StableID.seed("雷") == 6_764_891_610_425_233_413)
    }

    @Test("message ids are stable and distinguish their parts")
    func messageIds() {
        let a = StableID.message(rule: "cart", customer: "u1", trigger: "e-1")
        #expect(a == StableID.message(rule: "cart", customer: "u1", trigger: "e-1"))
        #expect(a != StableID.message(rule: "cart", customer: "u1", trigger: "e-2"))
        #expect(a.count == 32)
        // The id is the first 32 hex digits of the SHA-256 of the parts joined by U+001F.
        #expect(a == String(SHA256.hex("touchpoint/v1\u{1F}cart\u{1F}u1\u{1F}e-1").prefix(32)))
    }

    @Test("did-you-mean finds near misses only")
    func suggest() {
        #expect(Suggest.nearest("witin", in: ["within", "template", "channels"]) == "within")
        #expect(Suggest.nearest("zzzzzz", in: ["within", "template"]) == nil)
    }
}

@Suite("Zone tables")
struct ZoneTableTests {
    @Test(
        "table offsets agree with Foundation across DST and historic changes",
        arguments: [
            "America/New_York", "Europe/London", "Asia/Shanghai", "Australia/Lord_Howe", "America/Sao_Paulo",
            "UTC",
            "Asia/Kolkata", "Pacific/Apia",
        ])
    func agrees(name: String) throws {
        let zone = try #require(Zone(name))
        let tz = try #require(TimeZone(identifier: name))
        var generator = SeededGenerator(seed: StableID.seed(name))
        for _ in 0..<2000 {
            // 1970 … 2060, plus the hour either side of a random instant.
            let t = Int64(generator.next() % 2_840_000_000)
            #expect(
                zone.offset(atEpochSeconds: t)
                    == tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
        }
    }

    @Test(
        "an offset span holds its offset up to the next change, where the offset differs",
        arguments: ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"])
    func spans(name: String) throws {
        let zone = try #require(Zone(name))
        var generator = SeededGenerator(seed: StableID.seed("span " + name))
        for _ in 0..<500 {
            let t = Int64(generator.next() % 2_840_000_000)
            let span = zone.offsetSpan(atEpochSeconds: t)
            #expect(span.offset == zone.offset(atEpochSeconds: t))
            #expect(span.until > t)
            guard span.until != Int64.max else { continue }
            #expect(zone.offset(atEpochSeconds: span.until - 1) == span.offset)
            #expect(zone.offset(atEpochSeconds: span.until) != span.offset)
            // Nothing changes in between: probe a few points.
            for f in [0.25, 0.5, 0.75] {
                let probe = t + Int64(Double(span.until - t) * f)
                #expect(zone.offset(atEpochSeconds: probe) == span.offset)
            }
        }
    }
}
