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

    /// The send instant for a non-transactional message, or `nil` when every candidate is in quiet hours.
    func chooseTime(
        _ request: SendRequest, channel: Channel, customer: Customer, zone: Zone, population: PopulationStats,
        scores computed: inout [Double]?, explanation ex: inout Explanation
    ) -> Instant? {
        let all = candidates(due: request.due, within: request.within, zone: zone)
        var allowed = all
        if let quiet = settings.quietHours {
            allowed.removeAll { quiet.contains(minuteOfDay: $0.minuteOfDay) }
        }
        ex.candidateCount = all.count
        ex.quietCount = all.count - allowed.count
        var quietText: String { settings.quietHours.map { ", quiet hours \($0) \(zone.identifier)" } ?? "" }
        guard let first = allowed.first else {
            ex.note(
                "time: all \(all.count) candidate(s) in [due, due + \(request.within)] fall in quiet hours\(quietText)"
            )
            ex.allowedCount = 0
            ex.constraints.append(.quietHours)
            return nil
        }
        ex.allowedCount = allowed.count
        let scores = slotScores(
            channel: channel, customer: customer, zone: zone, now: request.due,
            population: population, explanation: &ex)
        computed = scores
        if allowed.count == 1 {
            ex.note("time: \(zone.format(first.at)), the only allowed candidate\(quietText)")
            ex.hourRank = 1
            noteConstraints(
                request, chosen: first, all: all, allowed: allowed, scores: scores, zone: zone, &ex)
            return first.at
        }
        // A message loses value as it waits (a cart reminder a day late helps less than one on time), so
        // each hour's score is discounted by the delay from the first allowed instant: a habitual hour must
        // be clearly better to be worth waiting for, and one stray event cannot push a send to tomorrow.
        // The discount guards against acting on thin evidence, so it relaxes as evidence builds up: its
        // half-life grows by one base half-life per `urgencyEvidence` observations.
        let evidence = timingEvidence(channel: channel, customer: customer, now: request.due)
        let stretch = 1 + evidence / max(settings.urgencyEvidence, 1e-9)
        let halfLife = Double(max(settings.urgencyHalfLife.seconds, 1)) * stretch
        func value(_ c: Candidate) -> Double {
            let delay = Double(c.at.milliseconds - first.at.milliseconds) / 1000
            return scores[c.slot] * pow(0.5, max(delay, 0) / halfLife)
        }
        var best = value(first)
        for c in allowed where value(c) > best { best = value(c) }
        // Sending sooner has value of its own: a later hour must beat an earlier one by the margin, which
        // (like the discount, a guard against noise) shrinks as evidence builds up.
        let threshold = best / (1 + max(settings.delayMargin, 0) / stretch)
        let chosen = allowed.first { value($0) >= threshold }!
        ex.chosenScore = value(chosen)
        ex.bestScore = best
        ex.earliestScore = value(first)
        ex.hourRank = 1 + allowed.filter { scores[$0.slot] > scores[chosen.slot] }.count
        noteConstraints(request, chosen: chosen, all: all, allowed: allowed, scores: scores, zone: zone, &ex)
        let quietCount = ex.quietCount
        ex.note(
            "time: \(zone.format(chosen.at)) score \(fmt(scores[chosen.slot])), \(fmt(value(chosen))) after the "
                + "wait discount (half-life \(settings.urgencyHalfLife) × \(fmt(stretch, 2)) for "
                + "\(fmt(evidence, 1)) timing observations); earliest allowed "
                + "\(zone.format(first.at)) \(fmt(value(first))), best \(fmt(best)); "
                + "\(all.count) candidate(s), \(quietCount) in quiet hours\(quietText)")
        return chosen.at
    }

    /// Records what kept the message from a materially better hour (by more than the delay margin, as an
    /// estimate): quiet hours inside the window, the window's end (within a day of `due`), or the cost of
    /// waiting.
    func noteConstraints(
        _ request: SendRequest, chosen: Candidate, all: [Candidate], allowed: [Candidate], scores: [Double],
        zone: Zone, _ ex: inout Explanation
    ) {
        let margin = 1 + max(settings.delayMargin, 0)
        let bestAllowed = allowed.map { scores[$0.slot] }.max() ?? 0
        let bestInWindow = all.map { scores[$0.slot] }.max() ?? 0
        if bestInWindow > bestAllowed * margin { ex.constraints.append(.quietHours) }
        if request.within < .hours(24) {
            var day = candidates(due: request.due, within: .hours(24), zone: zone)
            if let quiet = settings.quietHours {
                day.removeAll { quiet.contains(minuteOfDay: $0.minuteOfDay) }
            }
            if (day.map { scores[$0.slot] }.max() ?? 0) > bestAllowed * margin {
                ex.constraints.append(.window)
            }
        }
        if bestAllowed > scores[chosen.slot] * margin { ex.constraints.append(.urgency) }
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
                        out.append(
                            Candidate(at: quietEnd, slot: f.weekday * 24 + f.hour, minuteOfDay: q.endMinute))
                    }
                }
            }
            let intoHour = Int64(f.minute * 60 + f.second) * 1000 + subSecond
            let next = Instant(milliseconds: t.milliseconds + 3_600_000 - intoHour)
            // A spring-forward gap that does not end on a whole hour (Chatham's 02:45 → 03:45): the first
            // instant after it is a candidate too, or a quiet-hours end inside the gap would never be met.
            if let change = Self.gapEnd(after: t, before: next, zone: zone), change <= stop {
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

    /// The customer's decayed timing observations for `channel`: sends and opens/clicks on it, and activity.
    func timingEvidence(channel: Channel, customer: Customer, now: Instant) -> Double {
        let e = customer.engagement
        return e.sendHours(channel, at: now).reduce(0, +) + e.engagedHours(channel, at: now).reduce(0, +)
            + e.activityHours(at: now).reduce(0, +)
    }

    /// A score per local hour of the week for sending on `channel`: a weighted mixture of three lifts.
    func slotScores(
        channel: Channel, customer: Customer, zone: Zone, now: Instant, population: PopulationStats,
        explanation ex: inout Explanation
    ) -> [Double] {
        let e = customer.engagement
        let sends = e.sendHours(channel, at: now)
        let responses = e.responseHours(channel, at: now)
        let engaged = e.engagedHours(channel, at: now)
        let activityByType = e.activityHours(at: now)
        let weekdayActivity = Array(activityByType[0..<24])
        let weekendActivity = Array(activityByType[24..<48])
        let activity = zip(weekdayActivity, weekendActivity).map { $0 + $1 }

        let a = rateLift(
            sends: sends, responses: responses, populationSends: population.sendSlots(channel),
            populationResponses: population.responseSlots(channel),
            populationRate: population.openRate(channel))
        let b = distributionLift(
            hours: engaged, byDayType: nil, population: population.engagementSlots(channel))
        let c = distributionLift(
            hours: activity, byDayType: (weekdayActivity, weekendActivity), population: population.activity)

        let m = max(settings.timingPriorStrength, 1e-3)
        let eA = sends.reduce(0, +) / (sends.reduce(0, +) + m)
        let eB = engaged.reduce(0, +) / (engaged.reduce(0, +) + m)
        let eC = activity.reduce(0, +) / (activity.reduce(0, +) + m)
        // Activity times stand in for open times until the customer has opened enough to speak for itself.
        let wA = 0.1 + eA
        let wB = 0.1 + eB
        let wC = 0.1 + eC * (1 - 0.5 * eB)
        let total = wA + wB + wC
        ex.note(
            "timing weights: send-hour rate \(fmt(wA / total, 2)), open times \(fmt(wB / total, 2)), "
                + "activity \(fmt(wC / total, 2))")
        var scores = [Double](repeating: 0, count: HourOfWeek.count)
        for s in 0..<HourOfWeek.count { scores[s] = (wA * a[s] + wB * b[s] + wC * c[s]) / total }
        return scores
    }

    /// Per-slot lift of a decayed histogram by local hour (`hours`, 24 values, with its weekday/weekend
    /// split when kept): population hour-of-day → customer hour-of-day → customer hour-of-day on weekdays
    /// or at weekends (shaped by the population's weekday/weekend difference), each level smoothed over
    /// neighbouring hours with a circular kernel. The lifts average 1 over a day.
    func distributionLift(
        hours x: [Double], byDayType split: (weekday: [Double], weekend: [Double])?, population p: [Int]
    ) -> [Double] {
        let m = max(settings.timingPriorStrength, 1e-3)
        let pop = Self.byDayType(p.map(Double.init))
        // Without a day-type split the customer's all-days hours stand in for each day type, so the data
        // weighs as much as it did when all of it fell on one day type.
        let cust = split ?? (x, x)
        let popHour = Self.smoothed(zip(pop.weekday, pop.weekend).map { $0 + $1 })
        let custHour = Self.smoothed(x)
        let popTotal = popHour.reduce(0, +)
        let custTotal = custHour.reduce(0, +)
        var popShare = [Double](repeating: 0, count: 24)
        var hourShare = popShare
        for h in 0..<24 {
            popShare[h] = (popHour[h] + 1) / (popTotal + 24)
            hourShare[h] = (custHour[h] + m * popShare[h]) / (custTotal + m)
        }
        var lift = [Double](repeating: 1, count: HourOfWeek.count)
        for (type, days) in [(pop.weekday, cust.weekday), (pop.weekend, cust.weekend)].enumerated() {
            let popType = Self.smoothed(days.0)
            let custType = Self.smoothed(days.1)
            let popTypeTotal = popType.reduce(0, +)
            let custTypeTotal = custType.reduce(0, +)
            // The customer's all-days pattern, bent the way the population's weekdays (or weekends) differ.
            var prior = [Double](repeating: 0, count: 24)
            for h in 0..<24 {
                prior[h] = hourShare[h] * ((popType[h] + 1) / (popTypeTotal + 24)) / popShare[h]
            }
            let priorTotal = prior.reduce(0, +)
            for h in 0..<24 {
                let share = (custType[h] + m * prior[h] / priorTotal) / (custTypeTotal + m)
                for d in (type == 0 ? 0..<5 : 5..<7) { lift[d * 24 + h] = 24 * share }
            }
        }
        return lift
    }

    /// Per-slot lift of the open rate of sends by local send hour (`sends`/`responses`: the customer's 24
    /// hours), smoothed channel rate → population hour-of-day → customer hour-of-day (twice, standing in
    /// for the weekday/weekend level the compact state does not keep), sends and responses each smoothed
    /// over neighbouring hours; normalised to average 1.
    func rateLift(
        sends y: [Double], responses o: [Double], populationSends ps: [Int], populationResponses po: [Int],
        populationRate r: Double
    ) -> [Double] {
        let m = max(settings.timingPriorStrength, 1e-3)
        let popSends = Self.byDayType(ps.map(Double.init))
        let popResponses = Self.byDayType(po.map(Double.init))
        let ps = Self.smoothed(zip(popSends.weekday, popSends.weekend).map { $0 + $1 })
        let pr = Self.smoothed(zip(popResponses.weekday, popResponses.weekend).map { $0 + $1 })
        let cs = Self.smoothed(y)
        let cr = Self.smoothed(o)
        var hourRate = [Double](repeating: r, count: 24)
        for h in 0..<24 {
            let popRate = (min(pr[h], ps[h]) + m * r) / (ps[h] + m)
            hourRate[h] = (min(cr[h], cs[h]) + m * popRate) / (cs[h] + m)
        }
        // A second level with the same data (as a customer's sends all on weekdays had with a day-type
        // split): the customer's own rates weigh as much as in the split model.
        var rate = [Double](repeating: r, count: 24)
        for h in 0..<24 { rate[h] = (min(cr[h], cs[h]) + 2 * m * hourRate[h]) / (cs[h] + 2 * m) }
        let mean = rate.reduce(0, +) / 24
        var lift = [Double](repeating: 1, count: HourOfWeek.count)
        guard mean > 0 else { return lift }
        for s in 0..<HourOfWeek.count { lift[s] = rate[s % 24] / mean }
        return lift
    }

    /// Hour-of-week values folded into hour-of-day sums for weekdays (Monday–Friday) and weekends.
    static func byDayType(_ v: [Double]) -> (weekday: [Double], weekend: [Double]) {
        var weekday = [Double](repeating: 0, count: 24)
        var weekend = weekday
        for s in 0..<HourOfWeek.count {
            if s < 5 * 24 { weekday[s % 24] += v[s] } else { weekend[s % 24] += v[s] }
        }
        return (weekday, weekend)
    }

    /// A circular `[0.15, 0.7, 0.15]` kernel over the hours of a day: an open at 19:50 also speaks for 20:00,
    /// and totals are kept.
    static func smoothed(_ v: [Double]) -> [Double] {
        // Light: most customers' habits are sharper than an hour, and a wide kernel blunts a clear peak.
        let neighbour = 0.15
        var out = [Double](repeating: 0, count: 24)
        for h in 0..<24 {
            let sides: Double = v[(h + 23) % 24] + v[(h + 1) % 24]
            out[h] = (1 - 2 * neighbour) * v[h] + neighbour * sides
        }
        return out
    }
}
