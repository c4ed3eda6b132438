import Foundation
import Synchronization

/// An IANA timezone, with the offset lookups the scheduler and printers need.
///
/// Offsets come from a transition table built once per zone name (1900–2200), so a lookup is a
/// binary search rather than a Foundation calendar call: the engine asks for offsets on every event.
public struct Zone: Sendable, Hashable {
    public let identifier: String
    private let table: Table

    /// `nil` when the name is not a known IANA zone.
    public init?(_ identifier: String) {
        guard
            let table = Zone.cache.withLock({ cache -> Table? in
                if let hit = cache[identifier] { return hit }
                let built = TimeZone(identifier: identifier).map(Table.init)
                cache[identifier] = .some(built)
                return built
            })
        else { return nil }
        self.identifier = identifier
        self.table = table
    }

    public static let utc = Zone("UTC")!

    /// Zone tables by name. A memo of a pure function, shared because every engine and scheduler asks
    /// for the same few zones; the lock makes it safe to fill from any thread.
    private static let cache = Mutex<[String: Table?]>([:])

    public static func == (a: Zone, b: Zone) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// Seconds east of UTC at `instant`.
    @inlinable
    public func offset(at instant: Instant) -> Int { offset(atEpochSeconds: instant.epochSeconds) }

    /// Seconds east of UTC at a Unix time.
    public func offset(atEpochSeconds t: Int64) -> Int {
        let starts = table.starts
        // The last transition at or before t.
        var lo = 0
        var hi = starts.count - 1
        if t < starts[0] { return Int(table.offsets[0]) }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return Int(table.offsets[lo])
    }

    /// The offset at Unix time `t` and the first transition after it (`Int64.max` when there is none): every
    /// time in `t..<until` has this offset. A walk over consecutive times looks up again only at `until`.
    public func offsetSpan(atEpochSeconds t: Int64) -> (offset: Int, until: Int64) {
        let starts = table.starts
        if t < starts[0] { return (Int(table.offsets[0]), starts[0]) }
        var lo = 0
        var hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return (Int(table.offsets[lo]), lo + 1 < starts.count ? starts[lo + 1] : Int64.max)
    }

    /// ISO 8601 text of `instant` in this zone, with its offset: `Z` only for a UTC zone, `+00:00`
    /// for a local time that is at UTC (London in winter).
    public func format(_ instant: Instant) -> String {
        ISO8601.format(instant, offsetSeconds: offset(at: instant), zulu: isUTC)
    }

    /// `format` appended to UTF-8 bytes.
    public func append(_ instant: Instant, to out: inout [UInt8]) {
        ISO8601.append(instant, offsetSeconds: offset(at: instant), zulu: isUTC, to: &out)
    }

    /// Whether this is UTC itself (whose zero offset is written `Z`), not a zone that is at UTC.
    public var isUTC: Bool {
        ["UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"].contains(
            identifier)
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
            offsets.insert(offset(atEpochSeconds: localSeconds + probe))
        }
        for off in offsets {
            let candidate = Instant(seconds: localSeconds - Int64(off))
            if offset(at: candidate) == off { found.append(candidate) }
        }
        return found.sorted()
    }

    /// Transition instants and the offset in force from each.
    final class Table: Sendable {
        let starts: [Int64]
        let offsets: [Int32]

        init(_ tz: TimeZone) {
            var starts: [Int64] = [Int64.min / 2]
            var offsets: [Int32] = []
            let first = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
            let end = Date(timeIntervalSince1970: 7_258_118_400)  // 2200-01-01
            offsets.append(Int32(tz.secondsFromGMT(for: first)))
            var cursor = first
            while let next = tz.nextDaylightSavingTimeTransition(after: cursor), next < end {
                let offset = Int32(tz.secondsFromGMT(for: next))
                if offset != offsets.last {
                    starts.append(Int64(next.timeIntervalSince1970.rounded(.down)))
                    offsets.append(offset)
                }
                cursor = next
            }
            self.starts = starts
            self.offsets = offsets
        }
    }
}
