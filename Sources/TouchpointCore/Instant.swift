/// A point in time, in whole milliseconds since the Unix epoch (UTC).
///
/// Integer milliseconds keep replay deterministic: no floating-point drift between runs.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Seconds since the epoch.
    public init(seconds: Int64) { self.milliseconds = seconds * 1000 }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public static func + (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(milliseconds: lhs.milliseconds &+ rhs.milliseconds)
    }

    public static func - (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(milliseconds: lhs.milliseconds &- rhs.milliseconds)
    }

    /// Whole seconds since the epoch (floor).
    public var epochSeconds: Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    /// ISO 8601 in UTC (`2026-11-20T02:00:00Z`).
    public var description: String { ISO8601.format(self, offsetSeconds: 0) }
}

/// A timestamp as written in an event: the instant plus the UTC offset it was written with.
public struct Timestamp: Sendable, Hashable, Codable {
    public var instant: Instant
    /// The offset of the original text, in seconds east of UTC.
    public var offsetSeconds: Int32

    public init(instant: Instant, offsetSeconds: Int32) {
        self.instant = instant
        self.offsetSeconds = offsetSeconds
    }

    /// The original form, e.g. `2026-11-20T10:00:00+08:00`.
    public var text: String { ISO8601.format(instant, offsetSeconds: Int(offsetSeconds)) }
}

/// Fast, allocation-free ISO 8601 / RFC 3339 parsing and formatting.
public enum ISO8601 {
    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM|±HHMM)`; a space may stand for `T`.
    public static func parse(_ text: String) -> Timestamp? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// Parses from UTF-8 bytes; see ``parse(_:)``.
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var i = 0
        let n = b.count
        func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else {
            return nil
        }
        guard i < n, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }
        i += 1
        guard let hour = digits(2), expect(58), let minute = digits(2) else { return nil }
        var second = 0
        var millis = 0
        if i < n, b[i] == 58 {
            i += 1
            guard let s = digits(2) else { return nil }
            second = s
            if i < n, b[i] == 46 || b[i] == 44 {
                i += 1
                var scale = 100
                var any = false
                while i < n, b[i] >= 48, b[i] <= 57 {
                    millis += Int(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
            }
        }
        guard i < n else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            guard let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == n else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour < 24,
            minute < 60, second < 61
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset)
        return Timestamp(
            instant: Instant(milliseconds: secs * 1000 + Int64(millis)), offsetSeconds: Int32(offset))
    }

    /// Formats `instant` at `offsetSeconds` east of UTC: `2026-11-20T10:00:00+08:00`; milliseconds
    /// appear only when non-zero. A zero offset is `Z` when `zulu` (UTC is the reference), else
    /// `+00:00` (a local time that happens to be at UTC, RFC 3339 §4.3).
    public static func format(_ instant: Instant, offsetSeconds: Int, zulu: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(29)
        append(instant, offsetSeconds: offsetSeconds, zulu: zulu, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format` appended to UTF-8 bytes: the one ISO 8601 writer, for Strings and the dry-run's JSON.
    public static func append(
        _ instant: Instant, offsetSeconds: Int, zulu: Bool = true, to out: inout [UInt8]
    ) {
        let local = instant.milliseconds.addingReportingOverflow(Int64(offsetSeconds) * 1000)
        let ms = Int(((local.partialValue % 1000) + 1000) % 1000)
        let secs = (local.partialValue - Int64(ms)) / 1000
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(Int(days))
        appendPadded(y, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(m, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(d, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(Int(rem / 3600), 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(rem % 3600 / 60), 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(Int(rem % 60), 2, to: &out)
        if ms != 0 {
            out.append(UInt8(ascii: "."))
            appendPadded(ms, 3, to: &out)
        }
        if offsetSeconds == 0, zulu {
            out.append(UInt8(ascii: "Z"))
            return
        }
        out.append(offsetSeconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let a = abs(offsetSeconds)
        appendPadded(a / 3600, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(a % 3600 / 60, 2, to: &out)
    }

    /// `v` in decimal, zero-padded to `width` digits; a negative value gets its sign first (`-0001`).
    @inline(__always)
    private static func appendPadded(_ v: Int, _ width: Int, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = v.magnitude
        var count = 1
        var rest = magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(width, count)))
        var k = out.count - 1
        while magnitude > 0 {
            out[k] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            k -= 1
        }
    }

    /// Local calendar fields of `instant` at a fixed offset.
    public static func fields(
        _ instant: Instant, offsetSeconds: Int
    ) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        let local = instant.epochSeconds + Int64(offsetSeconds)
        var days = local / 86_400
        var rem = local % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(Int(days))
        // 1970-01-01 was a Thursday; weekday 0 = Monday.
        let weekday = Int(((days + 3) % 7 + 7) % 7)
        return (y, m, d, Int(rem / 3600), Int(rem % 3600 / 60), Int(rem % 60), weekday)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

}
