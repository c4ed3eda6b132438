/// Local hours in which non-transactional messages are not sent, e.g. `21:00-08:00`; may wrap midnight.
public struct QuietHours: Sendable, Hashable, CustomStringConvertible {
    /// Start, in minutes after local midnight (inclusive).
    public var startMinute: Int
    /// End, in minutes after local midnight (exclusive).
    public var endMinute: Int

    /// Quiet hours from `startMinute` up to `endMinute`, both in `0..<1440`.
    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Parses `HH:MM-HH:MM` (24-hour clock; the end may be `24:00`); `nil` when malformed or empty.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let start = QuietHours.minute(of: parts[0].trimmingSpaces, allowMidnightEnd: false),
            let end = QuietHours.minute(of: parts[1].trimmingSpaces, allowMidnightEnd: true),
            start != end % 1440
        else { return nil }
        self.init(startMinute: start, endMinute: end % 1440)
    }

    /// Whether the local minute of day `minuteOfDay` (0..<1440) is quiet.
    @inlinable
    public func contains(minuteOfDay m: Int) -> Bool {
        startMinute < endMinute ? (m >= startMinute && m < endMinute) : (m >= startMinute || m < endMinute)
    }

    /// Quiet minutes per day.
    public var duration: Int {
        startMinute < endMinute ? endMinute - startMinute : 1440 - startMinute + endMinute
    }

    /// `21:00-08:00`.
    public var description: String {
        func clock(_ m: Int) -> String {
            let h = m / 60
            let mm = m % 60
            return (h < 10 ? "0" : "") + "\(h):" + (mm < 10 ? "0" : "") + "\(mm)"
        }
        return "\(clock(startMinute))-\(clock(endMinute))"
    }

    private static func minute(of text: Substring, allowMidnightEnd: Bool) -> Int? {
        let hm = text.split(separator: ":", omittingEmptySubsequences: false)
        guard hm.count == 2, (1...2).contains(hm[0].count), hm[1].count == 2,
            hm[0].allSatisfy(\.isASCIIDigitCharacter), hm[1].allSatisfy(\.isASCIIDigitCharacter),
            let h = Int(hm[0]), let m = Int(hm[1]), m < 60
        else { return nil }
        if h == 24, m == 0, allowMidnightEnd { return 1440 }
        guard h < 24 else { return nil }
        return h * 60 + m
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

extension QuietHours {
    /// The first instant after `now` at which these quiet hours begin in `zone`; `nil` when `now` is
    /// already inside them. A start that falls in a DST gap is taken at the first instant after it.
    public func nextStart(after now: Instant, in zone: Zone) -> Instant? {
        let f = zone.fields(now)
        guard !contains(minuteOfDay: f.hour * 60 + f.minute) else { return nil }
        let today = ISO8601.daysFromCivil(year: f.year, month: f.month, day: f.day)
        for days in 0...2 {
            let (y, m, d) = ISO8601.civilFromDays(today + days)
            let at = zone.instants(
                year: y, month: m, day: d, hour: startMinute / 60, minute: startMinute % 60)
            if let first = at.first(where: { $0 > now }) { return first }
            if at.isEmpty {
                // A DST gap swallowed the start: quiet hours begin when the clock jumps past it.
                let after = zone.instants(
                    year: y, month: m, day: d, hour: (startMinute / 60 + 1) % 24, minute: startMinute % 60)
                if let first = after.first(where: { $0 > now }) { return first }
            }
        }
        return nil
    }
}
