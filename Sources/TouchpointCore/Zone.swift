import Foundation

/// An IANA timezone, with the offset lookups the scheduler and printers need.
public struct Zone: Sendable, Hashable {
    public let identifier: String
    private let timeZone: TimeZone

    /// `nil` when the name is not a known IANA zone.
    public init?(_ identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.timeZone = tz
    }

    public static let utc = Zone("UTC")!

    /// Seconds east of UTC at `instant`.
    public func offset(at instant: Instant) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.epochSeconds)))
    }

    /// ISO 8601 text of `instant` in this zone, with its offset.
    public func format(_ instant: Instant) -> String {
        ISO8601.format(instant, offsetSeconds: offset(at: instant))
    }

    /// Local calendar fields of `instant` in this zone.
    public func fields(_ instant: Instant) -> (
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int
    ) {
        ISO8601.fields(instant, offsetSeconds: offset(at: instant))
    }

    /// The instants whose local wall time is `year-month-day hour:minute` here: none in a DST gap,
    /// two in a repeated hour (earliest first), otherwise one.
    public func instants(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> [Instant] {
        let localSeconds =
            Int64(ISO8601.daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3600 + minute * 60)
        var found: [Instant] = []
        // Offsets in use around this date: probe a day either side.
        var offsets = Set<Int>()
        for probe in [-86_400, -43_200, 0, 43_200, 86_400] as [Int64] {
            offsets.insert(offset(at: Instant(seconds: localSeconds + probe)))
        }
        for off in offsets {
            let candidate = Instant(seconds: localSeconds - Int64(off))
            if offset(at: candidate) == off { found.append(candidate) }
        }
        return found.sorted()
    }
}
