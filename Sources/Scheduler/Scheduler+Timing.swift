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
        while t <= stop {
            let f = zone.fields(t)
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
                        out.append(Candidate(at: quietEnd, slot: f.weekday * 24 + f.hour, minuteOfDay: q.endMinute))
                    }
                }
            }
            let intoHour = Int64(f.minute * 60 + f.second) * 1000 + subSecond
            t = Instant(milliseconds: t.milliseconds + 3_600_000 - intoHour)
        }
        return out
    }
}
