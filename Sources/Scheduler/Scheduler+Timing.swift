import Foundation
import TouchpointCore

extension Scheduler {
    /// One possible send instant and where it falls in local time.
    struct Candidate {
        var at: Instant
        /// Local hour of the week.
        var slot: Int
        /// Local minutes after midnight.
        var minuteOfDay: Int
    }

    /// `due`, then every local whole hour up to `due + within` (at most a week and an hour ahead: later
    /// slots repeat earlier ones), plus the end of quiet hours when it is not on the hour.
    func candidates(due: Instant, within: TimeSpan, zone: Zone) -> [Candidate] {
        let end = due + max(within, .zero)
        let stop = min(end, due + .hours(24 * 7 + 1))
        var out: [Candidate] = []
        var t = due
        var lastHour = Int.min
        // The offset in force and when it next changes: a lookup per change, not per hour (issue 17).
        var span = zone.offsetSpan(atEpochSeconds: t.epochSeconds)
        while t <= stop {
            if t.epochSeconds >= span.until { span = zone.offsetSpan(atEpochSeconds: t.epochSeconds) }
            let f = ISO8601.fields(t, offsetSeconds: span.offset)
            let subSecond = ((t.milliseconds % 1000) + 1000) % 1000
            let hourKey = ISO8601.daysFromCivil(year: f.year, month: f.month, day: f.day) * 24 + f.hour
            // Walking real instants skips a DST gap by itself; a repeated local hour shows up twice in a
            // row with the same key and is taken the first time only.
            if hourKey != lastHour {
                lastHour = hourKey
                out.append(
                    Candidate(at: t, slot: f.weekday * 24 + f.hour, minuteOfDay: f.hour * 60 + f.minute))
                if let q = settings.quietHours, q.endMinute % 60 != 0, f.hour == q.endMinute / 60,
                    f.minute < q.endMinute % 60
                {
                    let ms = Int64((q.endMinute % 60 - f.minute) * 60 - f.second) * 1000 - subSecond
                    let quietEnd = Instant(milliseconds: t.milliseconds + ms)
                    if quietEnd <= stop {
                        out.append(
                            Candidate(at: quietEnd, slot: f.weekday * 24 + f.hour, minuteOfDay: q.endMinute))
                    }
                }
            }
            let intoHour = Int64(f.minute * 60 + f.second) * 1000 + subSecond
            let next = Instant(milliseconds: t.milliseconds + 3_600_000 - intoHour)
            // A spring-forward gap that does not end on a whole hour (Chatham's 02:45 → 03:45): the first
            // instant after it is a candidate too, or a quiet-hours end inside the gap would never be met.
            // (Only when an offset change falls in (t, next]: otherwise the two offsets are the same.)
            if span.until <= next.epochSeconds, let change = Self.gapEnd(after: t, before: next, zone: zone),
                change <= stop
            {
                let g = zone.fields(change)
                out.append(
                    Candidate(at: change, slot: g.weekday * 24 + g.hour, minuteOfDay: g.hour * 60 + g.minute))
            }
            t = next
        }
        return out
    }

    /// The first instant after a forward offset change strictly between `start` and `end`, when there is one.
    static func gapEnd(after start: Instant, before end: Instant, zone: Zone) -> Instant? {
        let before = zone.offset(at: start)
        let after = zone.offset(at: end)
        guard after > before else { return nil }
        var lo = start.epochSeconds
        var hi = end.epochSeconds
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if zone.offset(atEpochSeconds: mid) == after { hi = mid } else { lo = mid }
        }
        let change = Instant(milliseconds: hi * 1000)
        return change > start && change < end ? change : nil
    }
}
