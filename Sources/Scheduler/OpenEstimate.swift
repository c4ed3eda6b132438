import Foundation
import TouchpointCore

/// A customer's estimated open probability per reachable channel and local hour of the day,
/// `rate[c] × curve[h] × bend[c][h]`: one hour curve shared by every channel, scaled by each channel's own
/// rate and bent where that channel's own responses disagree (see
/// ``Scheduler/estimate(for:customer:zone:now:population:)``).
struct OpenEstimate {
    /// The reachable channels, in rule order.
    var channels: [Channel]
    /// Per channel, the Beta posterior of its rate at an average hour (curve 1).
    var alpha: [Double]
    var beta: [Double]
    /// Per channel, the decayed sends and the sends that got a response (the evidence behind the posterior).
    var sends: [Double]
    var responses: [Double]
    /// Per channel, the population rate the prior is centred on.
    var populationRates: [Double]
    /// The hour curve shared by the channels: a lift per local hour, 1 at the population's average
    /// sending hour.
    var curve: [Double]
    /// Per channel, its own bend of the shared curve (1 where the channel's responses agree with it).
    var bend: [[Double]]
    /// The population's hour curve the shared one starts from (before the customer's presence and
    /// responses): what of an estimate's differences between hours is the population's, known from many
    /// customers, rather than the customer's own.
    var populationCurve: [Double]
    /// The prompt responses behind ``populationCurve``: how far its differences between hours can be trusted.
    var populationResponses: Double
    /// Per local hour, how much the population has been sent at it (expected prompt responses over
    /// expected + ``SchedulerSettings/populationTimingStrength``, 0…1): an hour never sent at has a curve
    /// that is only the flat prior, which must not be read into a neighbouring hour's estimate.
    var coverage: [Double]
    /// The customer's own timing evidence: decayed prompt answers, and presence observations (activity,
    /// late opens).
    var timingResponses: Double
    var presence: Double
    /// Where in their hour the customer's sends fell, as a fraction of the hour: the point each hour's
    /// estimate speaks for.
    var sendPoint: Double

    /// The posterior mean rate of channel `k`.
    func rate(_ k: Int) -> Double { alpha[k] / (alpha[k] + beta[k]) }

    /// The estimated open probability of channel `k` at local hour `h` (for sends spread over that hour),
    /// with `rate` in place of the mean; uncapped (`capped: false`) it still ranks hours where the estimate
    /// passes 1 — a customer who opens everything still has hours they open sooner.
    func probability(_ k: Int, hour h: Int, rate r: Double? = nil, capped: Bool = true) -> Double {
        let p = (r ?? rate(k)) * curve[h] * bend[k][h]
        return capped ? min(1, p) : p
    }

    /// The estimated open probability of channel `k` sent at `minute` after local midnight. An hour's
    /// estimate speaks for the point of the hour its sends fell at (``Engagement/sendMinute``): with sends
    /// spread over the hour, a send at 15:00 reads halfway between the 14:00–15:00 and 15:00–16:00
    /// estimates (otherwise every choice would land half an hour early); with sends on the hour, at 15:00.
    func probability(_ k: Int, minute: Int, rate r: Double? = nil, capped: Bool = true) -> Double {
        let (h0, h1, w) = reading(minute)
        return (1 - w) * probability(k, hour: h0, rate: r, capped: capped) + w
            * probability(k, hour: h1, rate: r, capped: capped)
    }

    /// ``probability(_:minute:rate:capped:)`` uncapped, from a ``reading(_:)`` made once per candidate time
    /// (the same terms in the same order).
    func probability(_ k: Int, reading: (Int, Int, Double), rate r: Double) -> Double {
        let (h0, h1, w) = reading
        return (1 - w) * probability(k, hour: h0, rate: r, capped: false) + w
            * probability(k, hour: h1, rate: r, capped: false)
    }

    /// The best channel's uncapped open probability at the mean rates, from a ``reading(_:)``.
    func bestProbability(reading: (Int, Int, Double)) -> Double {
        var best = probability(0, reading: reading, rate: rate(0))
        for k in channels.indices.dropFirst() {
            let p = probability(k, reading: reading, rate: rate(k))
            if best < p { best = p }
        }
        return best
    }

    /// The two hours whose estimates `minute` after local midnight reads, and the weight of the second: by
    /// distance from the point each hour's estimate speaks for, and by how much the population has been sent
    /// at each (``coverage``). At 08:00 after quiet hours that end at 08:00, the 07:00 hour was never sent at
    /// and its flat prior says nothing about 08:00, so 08:00 reads the 08:00 hour alone.
    func reading(_ minute: Int) -> (Int, Int, Double) {
        let x = Double(minute) / 60 - sendPoint
        let lower = x.rounded(.down)
        let f = x - lower
        let h0 = (Int(lower) + 24) % 24
        let h1 = (h0 + 1) % 24
        let w0 = (1 - f) * coverage[h0]
        let w1 = f * coverage[h1]
        return w0 + w1 > 1e-9 ? (h0, h1, w1 / (w0 + w1)) : (h0, h1, f)
    }

    /// The population's curve at a ``reading(_:)`` of a time of day, read as
    /// ``probability(_:minute:rate:capped:)`` reads the customer's.
    func population(reading: (Int, Int, Double)) -> Double {
        let (h0, h1, w) = reading
        return (1 - w) * populationCurve[h0] + w * populationCurve[h1]
    }

    /// The relative posterior spread (standard deviation ÷ mean) of channel `k`'s rate.
    func relativeSpread(_ k: Int) -> Double {
        let a = alpha[k]
        let b = beta[k]
        return (b / (a * (a + b + 1))).squareRoot()
    }
}

extension Scheduler {
    /// The joint estimate for `channels` (the reachable ones).
    ///
    /// - **Population curve.** Responses over expected responses by local *send* hour, pooled over
    ///   channels (each channel's sends weighted by its population rate), both smoothed over neighbouring
    ///   hours and shrunk towards a flat curve with ``SchedulerSettings/populationTimingStrength`` expected
    ///   responses per hour, so it moves only where the population has shown a real difference.
    /// - **Presence.** The customer's activity and their opens and clicks that came an hour or more after a
    ///   send (``Engagement/engagedHours(_:at:)``) say when they are around. Their smoothed share per hour, over
    ///   the flat share, is a lift raised to `n / (n + presenceEvidence)`: one event moves nothing, a
    ///   habit over weeks does.
    /// - **Responses.** Prompt answers (within an hour) count for their send's hour; a send answered only
    ///   later (``Engagement/lateHours(_:at:)``) counts for the channel's rate, for its hour neither way,
    ///   and its open time for presence. Prior curve = population curve × presence lift. Each hour's lift is Gamma-Poisson:
    ///   `prior × (m + responses) / (m + expected)`, responses and expected responses (sends × the channel's
    ///   rate × the prior) smoothed over neighbouring hours (``SchedulerSettings/timingBandwidth``) and
    ///   pooled over channels (expected responses ``SchedulerSettings/exposureWidening`` times wider, so the
    ///   estimate falls off away from the hours really tried); m = ``SchedulerSettings/timingPriorStrength``,
    ///   small: the customer's own responses speak for the hours they were sent at, while hours never tried
    ///   keep the prior. How far this moves the curve from its prior is ``shapeWeight(responses:sends:_:misses:reads:)``:
    ///   responses move it quickly, unanswered sends slowly.
    /// - **Channels.** Each channel's rate is Beta, centred on the population rate (strength fitted by
    ///   empirical Bayes, else ``SchedulerSettings/channelPriorStrength``), updated with the responses over
    ///   *effective* sends (each send weighted by the curve at its hour), so a channel tried only at bad
    ///   hours is not blamed for them. Rates and curve are refined in turn twice. Then each channel's own
    ///   responses bend the shared curve the same Gamma-Poisson way (``SchedulerSettings/channelCurveStrength``),
    ///   so one who reads email at lunch and texts in the evening gets each where it is read.
    /// `zone` is the customer's (``zone(for:)``), which the caller has already looked up.
    func estimate(
        for channels: [Channel], customer: Customer, zone: Zone, now: Instant, population: PopulationStats
    ) -> OpenEstimate {
        let e = customer.engagement
        let kernel = kernels.timing
        // Expected responses are smoothed a little wider than responses, so an hour's estimate falls off
        // away from the hours the customer was really sent at: one only ever sent at 19:00 is best known at
        // 19:00, not equally at 18:00 (with full coverage of the day the two kernels agree on the best hour).
        let wide = kernels.wide
        // A customer's few responses are smoothed wider than the population's many or their presence.
        let responseKernel = kernels.response
        let (baseCurve, populationResponses, coverage) = populationCurve(population, kernel: kernel)
        var curve = baseCurve

        // Presence lift.
        var present = [Double](repeating: 0, count: 24)
        let activity = e.activityHours(at: now)
        for h in 0..<24 { present[h] = activity[h] + activity[24 + h] }
        // Opens that came an hour or more after their send: when the customer reads, seen directly.
        var reads = 0.0
        for c in e.channels {
            let opens = e.engagedHours(c, at: now)
            for h in 0..<24 { present[h] += opens[h] }
            reads += opens.reduce(0, +)
        }
        let presence = present.reduce(0, +)
        if presence > 0 {
            let smoothed = Self.smooth(present, kernel)
            let flat = max(settings.presenceFlatStrength, 1e-6)
            let weight = presence / (presence + max(settings.presenceEvidence, 1e-6))
            for h in 0..<24 {
                let share = (smoothed[h] + flat / 24) / (presence + flat)
                curve[h] *= pow(24 * share, weight)
            }
        }

        // Every channel with data informs the curve, reachable or not.
        let informing = Channel.allCases.filter { e.channels.contains($0) || channels.contains($0) }
        var sendHours: [[Double]] = []
        var answeredTotals: [Double] = []
        // For the curve: sends with their prompt answers; a send answered only later is neither a hit nor a
        // miss for its hour (the late open says when the customer reads, and shields the curve from misses).
        var timedSends: [[Double]] = []
        var responseHours: [[Double]] = []
        var prior: [(rate: Double, strength: Double)] = []
        for c in informing {
            let sends = e.sendHours(c, at: now)
            let prompt = e.responseHours(c, at: now)
            let late = e.lateHours(c, at: now)
            sendHours.append(sends)
            answeredTotals.append(prompt.reduce(0, +) + late.reduce(0, +))
            var timed = (0..<24).map { max(sends[$0] - late[$0], 0) }
            // The latest send, while its answer may still come, is not yet a miss: a day-old unopened
            // receipt must not move the next message (`rules/tests/caps.yaml`).
            if let p = e.pendingSend(c, at: now, window: settings.attributionWindow, zone: zone) {
                timed[p.hour] = max(timed[p.hour] - p.weight, 0)
            }
            timedSends.append(timed)
            responseHours.append(prompt)
            prior.append(
                (
                    population.openRate(c),
                    max(population.fittedPriorStrength(c) ?? settings.channelPriorStrength, 1e-3)
                ))
        }
        var alpha = [Double](repeating: 1, count: informing.count)
        var beta = alpha
        var rates = prior.map(\.rate)
        func refineRates(_ curve: [Double]) {
            for k in informing.indices {
                var effective = 0.0
                var sends = 0.0
                for h in 0..<24 {
                    effective += sendHours[k][h] * curve[h]
                    sends += sendHours[k][h]
                }
                let responses = min(answeredTotals[k], sends)
                alpha[k] = max(prior[k].rate * prior[k].strength + responses, 1e-3)
                beta[k] = max((1 - prior[k].rate) * prior[k].strength + max(effective - responses, 0), 1e-3)
                rates[k] = alpha[k] / (alpha[k] + beta[k])
            }
        }

        // Responses refine the curve, and the curve the rates, in turn.
        let priorCurve = curve
        let m = max(settings.timingPriorStrength, 1e-6)
        var totalResponses = [Double](repeating: 0, count: 24)
        for r in responseHours { for h in 0..<24 { totalResponses[h] += r[h] } }
        let smoothedResponses = Self.smooth(totalResponses, responseKernel)
        // Responses place the curve quickly; unanswered sends say the customer rarely opens (the rates take
        // that) and, from the second on, which hours are not theirs. One unopened receipt at 15:00 must not
        // push the next message to the other end of the day.
        let answered = totalResponses.reduce(0, +)
        let sent = timedSends.map { $0.reduce(0, +) }.reduce(0, +)
        // Late reads in units of `lateReadEvidence`: how much they shield the shared curve and each bend.
        let shieldingReads = reads / max(settings.lateReadEvidence, 1e-9)
        let shape = Self.shapeWeight(
            responses: answered, sends: sent, settings.shapeEvidence, misses: settings.missEvidence,
            reads: shieldingReads)
        refineRates(curve)
        for _ in 0..<2 {
            var expected = [Double](repeating: 0, count: 24)
            for k in informing.indices {
                for h in 0..<24 { expected[h] += timedSends[k][h] * rates[k] * priorCurve[h] }
            }
            let smoothedExpected = Self.smooth(expected, wide)
            for h in 0..<24 {
                let ratio = (m + smoothedResponses[h]) / (m + smoothedExpected[h])
                curve[h] = priorCurve[h] * (1 + shape * (ratio - 1))
            }
            refineRates(curve)
        }

        // Each channel's own responses bend the shared curve where they disagree with it.
        let mc = settings.channelCurveStrength
        let bendKernel = kernels.bend
        var est = OpenEstimate(
            channels: channels, alpha: [], beta: [], sends: [], responses: [],
            populationRates: channels.map { population.openRate($0) }, curve: curve, bend: [],
            populationCurve: baseCurve, populationResponses: populationResponses, coverage: coverage,
            timingResponses: totalResponses.reduce(0, +), presence: presence, sendPoint: e.sendMinute / 60)
        for c in channels {
            let k = informing.firstIndex(of: c)!
            var bend = [Double](repeating: 1, count: 24)
            if mc.isFinite {
                var expected = [Double](repeating: 0, count: 24)
                for h in 0..<24 { expected[h] = timedSends[k][h] * rates[k] * curve[h] }
                // The same kernel on both sides: the shared curve already falls off away from tried hours.
                let se = Self.smooth(expected, bendKernel)
                let sr = Self.smooth(responseHours[k], bendKernel)
                // Unanswered sends bend it more slowly than they move the shared curve (counted at 2/3): a
                // miss or two on one channel must not push its next message to another hour.
                let own = Self.shapeWeight(
                    responses: responseHours[k].reduce(0, +), sends: timedSends[k].reduce(0, +) / 1.5,
                    settings.shapeEvidence, misses: settings.missEvidence, reads: shieldingReads)
                for h in 0..<24 {
                    bend[h] = 1 + own * ((max(mc, 1e-6) + sr[h]) / (max(mc, 1e-6) + se[h]) - 1)
                }
            }
            est.bend.append(bend)
            est.alpha.append(alpha[k])
            est.beta.append(beta[k])
            est.sends.append(sendHours[k].reduce(0, +))
            est.responses.append(min(answeredTotals[k], est.sends.last!))
        }
        return est
    }

    /// How far a customer's own sends and responses may move a curve from its prior: responses place it
    /// quickly (`r / (r + e)`, e = `evidence`); unanswered sends more slowly (`(s′ / (s′ + m))²`, s′ = s − 1,
    /// m = ``SchedulerSettings/missEvidence``): the first miss is free (one unopened email at 11:00 must not
    /// move an 11:00 message), while a customer's few sends that all went unanswered do say which hours are
    /// not theirs (in a sparse world, most customers' only timing evidence). Opens that came an hour or more
    /// after their send (`reads`) show when the customer reads, directly: misses then count `1 / (1 + reads)`
    /// as much (a customer who opens her 09:00 mail at lunch is not moved off lunch by an unopened receipt
    /// sent at noon).
    static func shapeWeight(
        responses r: Double, sends s: Double, _ evidence: Double, misses m: Double, reads: Double = 0
    ) -> Double {
        let e = max(evidence, 1e-6)
        let beyondFirst = max(s - 1, 0)
        let misses = beyondFirst / (beyondFirst + max(m, 1e-6))
        return max(r / (r + e), misses * misses / (1 + max(reads, 0)))
    }

    /// The population's hour curve: prompt responses over expected prompt responses by local send hour,
    /// pooled over channels (each weighted by its rate of prompt answers), smoothed and shrunk towards flat with
    /// ``SchedulerSettings/populationTimingStrength`` expected responses per hour, and scaled so the
    /// population's own sends see an average lift of 1 (the population rates stay rates); with the prompt
    /// responses behind it.
    func populationCurve(_ population: PopulationStats, kernel: [Double]) -> (
        curve: [Double], responses: Double, coverage: [Double]
    ) {
        var responses = [Double](repeating: 0, count: 24)
        var expected = responses
        for c in Channel.allCases {
            population.withSlots(c) { sends, answered in
                // The rate of prompt answers: only those are kept by send hour.
                let rate = Double(answered.reduce(0, +) + 1) / Double(sends.reduce(0, +) + 2)
                for s in 0..<HourOfWeek.count {
                    responses[s % 24] += Double(answered[s])
                    expected[s % 24] += Double(sends[s]) * rate
                }
            }
        }
        let r = Self.smooth(responses, kernel)
        let x = Self.smooth(expected, kernel)
        let strength = max(settings.populationTimingStrength, 1e-6)
        var curve = (0..<24).map { (strength + r[$0]) / (strength + x[$0]) }
        let total = expected.reduce(0, +)
        if total > 0 {
            let mean = zip(expected, curve).map { $0 * $1 }.reduce(0, +) / total
            if mean > 0 { curve = curve.map { $0 / mean } }
        }
        let coverage = expected.map { $0 / ($0 + strength) }
        return (curve, responses.reduce(0, +), coverage)
    }

    /// The hour kernels of ``SchedulerSettings/timingBandwidth``, the expected responses'
    /// (``SchedulerSettings/responseBandwidth`` × ``SchedulerSettings/exposureWidening``), the responses'
    /// and the channels' bends (``SchedulerSettings/channelCurveBandwidth``).
    struct Kernels: Sendable {
        let timing: [Double]
        let wide: [Double]
        let response: [Double]
        let bend: [Double]

        init(_ settings: SchedulerSettings) {
            timing = Scheduler.kernel(bandwidth: settings.timingBandwidth)
            wide = Scheduler.kernel(bandwidth: settings.responseBandwidth * settings.exposureWidening)
            response = Scheduler.kernel(bandwidth: settings.responseBandwidth)
            bend = Scheduler.kernel(bandwidth: settings.channelCurveBandwidth)
        }
    }

    /// Gaussian weights over offsets −r…r hours (r = 3 bandwidths, at most 11), summing to 1.
    static func kernel(bandwidth: Double) -> [Double] {
        guard bandwidth > 0 else { return [1] }
        let r = min(11, Int((3 * bandwidth).rounded(.up)))
        let w = (-r...r).map { d in exp(-Double(d * d) / (2 * bandwidth * bandwidth)) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// `v` (24 hours) smoothed with `kernel` on the circle of the day; totals are kept.
    ///
    /// The day is read through a copy wrapped around by the kernel's reach, so the inner loop is a plain
    /// dot product (the same terms, added in the same order, as `v[(h + j − r) mod 24]`): this runs about
    /// ten times per decision (issue 17: the scheduler was 40 % of a replay's instructions).
    static func smooth(_ v: [Double], _ kernel: [Double]) -> [Double] {
        precondition(v.count == 24 && kernel.count <= 47)
        let r = kernel.count / 2
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 24 + kernel.count) { wrapped in
            v.withUnsafeBufferPointer { day in
                for i in 0..<(24 + kernel.count) { wrapped[i] = day[(i - r + 48) % 24] }
            }
            return kernel.withUnsafeBufferPointer { w in
                [Double](unsafeUninitializedCapacity: 24) { out, count in
                    for h in 0..<24 {
                        var x = 0.0
                        for j in 0..<w.count where w[j] > 0 { x += w[j] * wrapped[h + j] }
                        out[h] = x
                    }
                    count = 24
                }
            }
        }
    }
}
