import Foundation
import TouchpointCore

extension Scheduler {
    /// Channel and send time chosen jointly, or `nil` when every candidate time is in quiet hours.
    ///
    /// The value of sending on channel `c` at candidate `t` is the estimated open probability
    /// `rate[c] × curve[hour(t)]`, times `0.5^((t − due) / urgency)` when the rule sets `send.urgency`;
    /// nothing else discounts waiting. The earliest candidate as good as the best overall wins, where the
    /// customer's own lift counts as equal within ``SchedulerSettings/hourTolerance`` (a difference that small
    /// is noise, and sooner is never worse) and the population's curve and the urgency count in full
    /// (``earliest(_:known:_:)``); on it the channel with the highest value (ties: rule order). Then
    /// exploration may try a runner-up channel (``explore(_:_:values:known:chosen:_:)``).
    func choose(
        _ request: SendRequest, estimate est: OpenEstimate, zone: Zone, explanation ex: inout Explanation
    ) -> (channel: Channel, at: Instant)? {
        let all: [Candidate]
        if request.transactional {
            let f = zone.fields(request.due)
            all = [
                Candidate(at: request.due, slot: f.weekday * 24 + f.hour, minuteOfDay: f.hour * 60 + f.minute)
            ]
        } else {
            all = candidates(due: request.due, within: request.within, zone: zone)
        }
        var allowed = all
        if !request.transactional, let quiet = settings.quietHours {
            allowed.removeAll { quiet.contains(minuteOfDay: $0.minuteOfDay) }
        }
        ex.candidateCount = request.transactional ? 0 : all.count
        ex.quietCount = all.count - allowed.count
        ex.allowedCount = request.transactional ? nil : allowed.count
        ex.urgency = request.transactional ? nil : request.urgency

        let thompson = settings.exploration >= 1
        let rates = est.channels.indices.map { k in thompson ? draw(request, est, k) : est.rate(k) }
        noteChannels(est, rates: rates, &ex)
        let dueFields = zone.fields(request.due)
        let dueMinute = dueFields.hour * 60 + dueFields.minute
        var quietText: String { settings.quietHours.map { ", quiet hours \($0) \(zone.identifier)" } ?? "" }
        guard !allowed.isEmpty else {
            noteOdds(est, chosen: nil, minute: nil, dueMinute: dueMinute, &ex)
            ex.note(
                "time: all \(all.count) candidate(s) in [due, due + \(request.within)] fall in quiet hours\(quietText)"
            )
            ex.constraints.append(.quietHours)
            return nil
        }

        // The urgency once, so the factor does not copy the request at every call; each allowed candidate's
        // reading of the hour estimates and its factor once, not once per channel and per use (issue 17).
        let urgencyMilliseconds: Double? =
            if !request.transactional, let u = request.urgency, u.milliseconds > 0 {
                Double(u.milliseconds)
            } else {
                nil
            }
        let dueMilliseconds = request.due.milliseconds
        func factor(_ c: Candidate) -> Double {
            guard let u = urgencyMilliseconds else { return 1 }
            return pow(0.5, Double(c.at.milliseconds - dueMilliseconds) / u)
        }
        let readings = allowed.map { est.reading($0.minuteOfDay) }
        let factors = allowed.map(factor)
        let channelIndices = est.channels.indices
        // values[j][k]: candidate j, channel k.
        let values = readings.indices.map { j in
            channelIndices.map { k in est.probability(k, reading: readings[j], rate: rates[k]) * factors[j] }
        }
        let best = values.map { $0.max()! }.max()!
        let known = readings.indices.map { j in
            (population: est.population(reading: readings[j]), urgency: factors[j])
        }
        var j = pick(values, known: known, est)
        // Channels within `channelTolerance` of the best count as equal (default 0: exact ties), and the rule's
        // order decides among them.
        let channelTolerance = 1 - tolerance(est, share: settings.channelTolerance)
        var k = values[j].indices.first { values[j][$0] >= values[j].max()! * channelTolerance }!
        if thompson {
            // Plain Thompson sampling: exploration is the draw itself; "explored" = not the mean's choice.
            let means = readings.indices.map { j in
                channelIndices.map {
                    est.probability($0, reading: readings[j], rate: est.rate($0)) * factors[j]
                }
            }
            let jm = pick(means, known: known, est)
            ex.explored = Self.argmax(means[jm]) != k || jm != j
        } else if let runnerUp = explore(request, est, values: values, known: known, chosen: (j, k), &ex) {
            (j, k) = runnerUp
        }
        let chosen = allowed[j]
        let channel = est.channels[k]
        ex.chosenScore = min(1, values[j][k])
        ex.bestScore = min(1, best)
        ex.earliestScore = min(1, values[0].max()!)
        if request.urgency != nil, !request.transactional { ex.urgencyFactor = factors[j] }
        // Ranked by open probability alone, so a rank above 1 shows what urgency (or a tie) traded away.
        if !request.transactional {
            let odds = readings.map { est.bestProbability(reading: $0) }
            ex.hourRank = 1 + odds.filter { $0 > odds[j] * (1 + 1e-9) }.count
        }
        noteOdds(est, chosen: k, minute: chosen.minuteOfDay, dueMinute: dueMinute, &ex)
        if request.transactional {
            ex.note("time: transactional, sent when due")
        } else {
            noteConstraints(
                request, est, chosen: chosen, value: values[j].max()!, all: all, allowed: allowed, zone: zone,
                factor: factor, &ex)
            let quietCount = ex.quietCount
            ex.note(
                "time: \(zone.format(chosen.at)) on \(channel.rawValue), estimated open probability "
                    + "\(fmt(est.probability(k, minute: chosen.minuteOfDay, rate: rates[k])))"
                    + (request.urgency.map { " × urgency \(fmt(factor(chosen))) (halves every \($0))" } ?? "")
                    + "; earliest allowed \(zone.format(allowed[0].at)) \(fmt(min(1, values[0].max()!))), best \(fmt(min(1, best))); "
                    + "\(all.count) candidate(s), \(quietCount) in quiet hours\(quietText)")
        }
        return (channel, chosen.at)
    }

    /// The candidate to send at, from `values[j][k]` (candidate j, channel k): the earliest as good as the
    /// best overall (``earliest(_:known:_:)``).
    func pick(_ values: [[Double]], known: [(population: Double, urgency: Double)], _ est: OpenEstimate)
        -> Int
    {
        earliest(values.map { $0.max()! }, known: known, est)
    }

    /// The index of the earliest of `value` (one per candidate, in time order) that is as good as the best.
    /// Each value is the population's curve at that time × the urgency factor × the customer's own lift
    /// (their channel rates, presence and responses), and each factor is trusted by its own evidence: the
    /// urgency in full; the lift within ``hourTolerance(_:)`` (the customer's timing evidence); the
    /// population's curve within ``populationTolerance(_:)`` (the population's responses). Differences inside
    /// a factor's tolerance count as equal and the earlier time wins: one visit at 10:00 does not move an
    /// 11:00 message to 10:00 tomorrow, while the better hour of a population of thousands is taken even for
    /// a customer with no history of their own.
    func earliest(_ value: [Double], known: [(population: Double, urgency: Double)], _ est: OpenEstimate)
        -> Int
    {
        let b = value.indices.max { value[$0] < value[$1] || (value[$0] == value[$1] && $0 > $1) }!
        let keepLift = 1 - hourTolerance(est)
        let keepPopulation = 1 - populationTolerance(est)
        let pb = known[b].population
        func lift(_ j: Int) -> Double {
            let k = known[j].population * known[j].urgency
            return k > 0 ? value[j] / k : 0
        }
        let target = value[b] * (1 - 1e-12)
        return value.indices.first { j in
            guard j != b else { return true }
            let p = min(pb, known[j].population / keepPopulation)
            return p * known[j].urgency * min(lift(b), lift(j) / keepLift) >= target
        } ?? b
    }

    /// How much of a difference in the population's hour curve is noise: ``SchedulerSettings/hourTolerance``
    /// × `k / (k + n)`, k = ``SchedulerSettings/populationToleranceEvidence``, n = the population's prompt
    /// responses. A handful of customers' opens (a rule test, a new shop) bend the curve by a few per cent,
    /// which must not move a message to tomorrow; thousands of them show the hours that really differ.
    func populationTolerance(_ est: OpenEstimate) -> Double {
        let k = max(settings.populationToleranceEvidence, 0)
        let n = est.populationResponses
        let t = k + n > 0 ? max(settings.hourTolerance, 0) * k / (k + n) : 0
        return min(t, 0.5)
    }

    /// How much better a later candidate must be to be taken over an earlier one: differences smaller than
    /// this are noise. ``SchedulerSettings/hourTolerance`` for a customer without timing evidence of their
    /// own, shrinking as it builds up (`× k / (k + n)`, k = ``SchedulerSettings/toleranceEvidence``, n =
    /// their decayed responses and presence observations): one visit at 10:00 does not move an 11:00
    /// message to 10:00 tomorrow, a habit does.
    func hourTolerance(_ est: OpenEstimate) -> Double { tolerance(est, share: settings.hourTolerance) }

    /// `share` for a customer without timing evidence of their own, shrinking as it builds up.
    func tolerance(_ est: OpenEstimate, share: Double) -> Double {
        let k = max(settings.toleranceEvidence, 0)
        let n = est.timingResponses + est.presence
        let t = k + n > 0 ? max(share, 0) * k / (k + n) : 0
        return min(t, 0.5)
    }

    /// The index of the largest value; ties go to the first (the rule's order).
    static func argmax(_ v: [Double]) -> Int {
        v.indices.max { v[$0] < v[$1] || (v[$0] == v[$1] && $0 > $1) }!
    }

    /// A Thompson draw of channel `k`'s rate, seeded by the message id and the channel; channels with the
    /// same posterior share one draw, so with nothing to learn the rule's order still decides.
    func draw(_ request: SendRequest, _ est: OpenEstimate, _ k: Int) -> Double {
        let first = est.channels.indices.first {
            est.alpha[$0] == est.alpha[k] && est.beta[$0] == est.beta[k]
        }!
        var rng = SeededGenerator(seed: StableID.seed(request.messageId + "/" + est.channels[first].rawValue))
        return rng.beta(est.alpha[k], est.beta[k])
    }

    /// Bounded exploration: each runner-up channel (at its own best candidate, ``earliest(_:known:_:)``) is tried with the probability
    /// that its rate is really the better one — computed from the two Beta posteriors (normal approximation)
    /// — and all of them together at most ``SchedulerSettings/exploration`` of the time. Posteriors that
    /// do not overlap give no exploration; a channel with a well-known low rate is never retried for luck.
    /// The draw is seeded by the message id. Returns the explored (candidate, channel), if any.
    func explore(
        _ request: SendRequest, _ est: OpenEstimate, values: [[Double]],
        known: [(population: Double, urgency: Double)],
        chosen: (j: Int, k: Int), _ ex: inout Explanation
    ) -> (Int, Int)? {
        let cap = min(max(settings.exploration, 0), 1)
        let v1 = values[chosen.j][chosen.k]
        guard cap > 0, v1 > 0, est.channels.count > 1 else {
            ex.explorationShare = 0
            return nil
        }
        let s1 = est.relativeSpread(chosen.k) * v1
        var options: [(j: Int, k: Int, p: Double)] = []
        // A channel with the same posterior as the chosen one has nothing different to teach (no data on
        // either, say): the rule's order decides, not a coin.
        for k in est.channels.indices
        where k != chosen.k && (est.alpha[k] != est.alpha[chosen.k] || est.beta[k] != est.beta[chosen.k]) {
            let column = values.map { $0[k] }
            let j = earliest(column, known: known, est)
            let v = column[j]
            let s = est.relativeSpread(k) * v
            let spread = (s * s + s1 * s1).squareRoot()
            guard spread > 0 else { continue }
            let p = 0.5 * erfc(-(v - v1) / (spread * 2.0.squareRoot()))
            // Squared: a runner-up that is as likely as not to be better is tried at the full rate, one with a
            // one-in-four chance at a quarter of it, a long shot hardly ever.
            options.append((j, k, 4 * p * p))
        }
        let total = options.map(\.p).reduce(0, +)
        let share = cap * min(1, total)
        ex.explorationShare = share
        guard share > 0 else { return nil }
        var rng = SeededGenerator(seed: StableID.seed(request.messageId + "/explore"))
        let u = rng.unit()
        ex.note("exploration: share \(fmt(share)) (cap \(fmt(cap, 2))), draw \(fmt(u))")
        guard u < share else { return nil }
        // Which runner-up: in proportion to its chance of being the better channel.
        var x = u / share * total
        for o in options {
            x -= o.p
            if x < 0 || o.k == options.last!.k {
                ex.explored = true
                ex.note(
                    "exploration: trying \(est.channels[o.k].rawValue) instead of \(est.channels[chosen.k].rawValue)"
                )
                return (o.j, o.k)
            }
        }
        return nil
    }

    /// Records what kept the message from a better hour by more than the tolerance: quiet hours inside the
    /// window, the window's end (within a day of `due`), or the rule's urgency.
    func noteConstraints(
        _ request: SendRequest, _ est: OpenEstimate, chosen: Candidate, value: Double, all: [Candidate],
        allowed: [Candidate], zone: Zone, factor: (Candidate) -> Double, _ ex: inout Explanation
    ) {
        let margin = 1 + hourTolerance(est)
        func best(_ c: Candidate, discounted: Bool = true) -> Double {
            let p = est.channels.isEmpty ? 0 : est.bestProbability(reading: est.reading(c.minuteOfDay))
            return discounted ? p * factor(c) : p
        }
        let chosenValue = best(chosen)
        if (all.map { best($0) }.max() ?? 0) > chosenValue * margin { ex.constraints.append(.quietHours) }
        if request.within < .hours(24) {
            var day = candidates(due: request.due, within: .hours(24), zone: zone)
            if let quiet = settings.quietHours {
                day.removeAll { quiet.contains(minuteOfDay: $0.minuteOfDay) }
            }
            if (day.map { best($0, discounted: false) * factor($0) }.max() ?? 0) > chosenValue * margin {
                ex.constraints.append(.window)
            }
        }
        if request.urgency != nil,
            (allowed.map { best($0, discounted: false) }.max() ?? 0) > best(chosen, discounted: false)
                * margin
        {
            ex.constraints.append(.urgency)
        }
    }

    /// Fills ``Explanation/channels`` and the text lines for each reachable channel.
    func noteChannels(_ est: OpenEstimate, rates: [Double], _ ex: inout Explanation) {
        ex.timingResponses = est.timingResponses
        ex.presence = est.presence
        for k in est.channels.indices {
            ex.channels.append(
                .init(
                    channel: est.channels[k], populationRate: est.populationRates[k], sends: est.sends[k],
                    responses: est.responses[k], alpha: est.alpha[k], beta: est.beta[k], sample: rates[k]))
            ex.note(
                "\(est.channels[k].rawValue): population \(fmt(est.populationRates[k])), sends \(fmt(est.sends[k], 2)), "
                    + "opened \(fmt(est.responses[k], 2)), rate Beta(\(fmt(est.alpha[k], 2)), \(fmt(est.beta[k], 2))) "
                    + "mean \(fmt(est.rate(k)))" + (rates[k] != est.rate(k) ? ", draw \(fmt(rates[k]))" : ""))
        }
        ex.note(
            {
                let top = est.curve.indices.sorted { est.curve[$0] > est.curve[$1] }.prefix(3)
                return
                    "hour curve: best \(top.map { "\($0):00 ×\(fmt(est.curve[$0], 2))" }.joined(separator: ", ")); "
                    + "evidence \(fmt(est.timingResponses, 1)) response(s), \(fmt(est.presence, 1)) presence observation(s)"
            }())
    }

    /// Fills ``Explanation/odds``: per reachable channel, the estimated open probability at the chosen time
    /// and at the due time.
    func noteOdds(_ est: OpenEstimate, chosen: Int?, minute: Int?, dueMinute: Int, _ ex: inout Explanation) {
        for k in est.channels.indices {
            ex.odds.append(
                .init(
                    channel: est.channels[k], atChosen: minute.map { est.probability(k, minute: $0) },
                    atDue: est.probability(k, minute: dueMinute), chosen: k == chosen))
        }
    }
}
