import Foundation
import Scheduler
import TouchpointCore

/// One possible send instant: `due` or a later local whole hour inside the window, outside quiet hours.
struct Slot {
    var at: Instant
    var quarter: Int
}

/// Figures of one offline run (one world, seed and history length); values are sums over decisions.
struct Figures {
    var oracle = 0.0
    var ours = 0.0
    var ceiling = 0.0
    var naive = 0.0
    var emailNow = 0.0
    var decisions = 0
    var violations = 0
    var explored = 0
    var sends = 0.0
    var microseconds = 0.0
    var stateBytes = 0.0
    /// Diagnostics: the best value on the chosen channel (the hour's ceiling), for Touchpoint and the ceiling.
    var oursChannelBest = 0.0
    var ceilingChannelBest = 0.0
    /// Diagnostics by the customer's opens in their history (0, 1, 2, 3+): decisions, Touchpoint's and the
    /// ceiling's value.
    var bucketCount = [Int](repeating: 0, count: 4)
    var bucketOurs = [Double](repeating: 0, count: 4)
    var bucketCeiling = [Double](repeating: 0, count: 4)
}

/// The benchmark: worlds, histories, decisions by Touchpoint's scheduler and by the baselines, scored by the
/// truth.
struct Simulation {
    let settings: SchedulerSettings
    let quiet: QuietHours
    let within: TimeSpan
    let customers: Int
    /// Monday 4 May 2026 00:00 UTC: 16 weeks of history reach back across the March DST changes.
    let start = Instant(seconds: 1_777_852_800)

    /// `due` and every later local whole hour up to `due + within`, outside quiet hours (the quiet hours end
    /// on the hour here, so the end of quiet hours is one of them).
    func slots(due: Instant, truth: Truth) -> [Slot] {
        var out: [Slot] = []
        var t = due
        while t <= due + within {
            let f = truth.zone.fields(t)
            if !quiet.contains(minuteOfDay: f.hour * 60 + f.minute) {
                out.append(Slot(at: t, quarter: truth.quarter(t)))
            }
            t = t + TimeSpan(seconds: Int64(3600 - f.minute * 60 - f.second))
        }
        return out
    }

    /// The value of a send at `at`: 1, or halved every `urgency` after `due`.
    static func factor(_ at: Instant, due: Instant, urgency: TimeSpan?) -> Double {
        guard let urgency else { return 1 }
        return pow(0.5, Double(at.milliseconds - due.milliseconds) / Double(urgency.milliseconds))
    }

    /// The best (channel, slot) by `estimate` × the value factor; ties go to the earlier slot and then to the
    /// channel order.
    static func best(
        _ channels: [Channel], _ slots: [Slot], due: Instant, urgency: TimeSpan?,
        estimate: (Int, Int) -> Double
    ) -> (channel: Channel, slot: Slot) {
        var best = (channel: channels[0], slot: slots[0], value: -1.0)
        for (j, s) in slots.enumerated() {
            let f = factor(s.at, due: due, urgency: urgency)
            for (k, c) in channels.enumerated() {
                let v = estimate(k, j) * f
                if v > best.value { best = (c, s, v) }
            }
        }
        return (best.channel, best.slot)
    }

    /// The true value of sending on `channel` at `at`.
    static func value(_ truth: Truth, _ channel: Channel, _ at: Instant, due: Instant, urgency: TimeSpan?)
        -> Double
    {
        truth.openProbability(channel, at: at) * factor(at, due: due, urgency: urgency)
    }

    func truths(_ world: WorldSpec, seed: UInt64) -> [Truth] {
        var rng = SeededGenerator(seed: seed)
        return (0..<customers).map {
            Truth.draw(id: "c\($0)", rng: &rng, perChannelPeaks: world.perChannelPeaks)
        }
    }

    /// One offline run: `weeks` of history drawn from the truth, then one triggered message per customer
    /// in the following week, decided by Touchpoint, the ceiling, the naive estimate and "email now".
    func offline(_ world: WorldSpec, seed: UInt64, weeks: Int) -> Figures {
        let truths = truths(world, seed: seed)
        let scheduler = Scheduler(settings: settings)
        var arena = Arena(truths: truths, scheduler: scheduler)
        let from = start - .days(Int64(7 * weeks))
        var ceilings = Array(repeating: Ceiling(sharedPeak: !world.perChannelPeaks), count: truths.count)
        var naives = Array(repeating: Naive(), count: truths.count)
        var dues: [Instant] = []
        var opens: [Int] = []
        var dueRng = SeededGenerator(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        var fig = Figures()
        for (i, truth) in truths.enumerated() {
            // The same 16 weeks for every history length: 8 weeks are the last 8 of them.
            var rng = SeededGenerator(seed: Self.mix(seed, UInt64(i), 1))
            let sends = History.draw(truth, world: world, from: start - .days(112), to: start, rng: &rng)
                .filter { $0.at >= from }
            let due = start + TimeSpan(seconds: Int64(dueRng.unit() * 7 * 86_400))
            dues.append(due)
            // The trigger is the customer's own activity, an hour before the message is due.
            arena.enqueue(
                i,
                sends.flatMap { $0.events(user: truth.id) } + [
                    History.event("Product Added", truth.id, due - .hours(1))
                ])
            for s in sends {
                ceilings[i].observe(s.channel, quarter: truth.quarter(s.at), opened: s.opened)
                naives[i].observe(s, zone: truth.zone)
            }
            fig.sends += Double(sends.count)
            opens.append(min(3, sends.filter(\.opened).count))
        }
        arena.catchUpAll(to: start)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        let urgency = world.urgency
        for i in truths.indices.sorted(by: { dues[$0] < dues[$1] }) {
            let truth = truths[i]
            let due = dues[i]
            arena.catchUp(i, to: due)
            let slots = slots(due: due, truth: truth)
            guard !slots.isEmpty else { continue }
            let request = SendRequest(
                messageId: "s\(seed)-\(truth.id)", rule: "triggered", candidates: [.email, .sms, .chat],
                due: due,
                within: within, urgency: urgency)
            let began = clock.now
            let decision = scheduler.decide(
                request, customer: arena.customers[i], ledger: SendLedger(), population: arena.population,
                explain: ProcessInfo.processInfo.environment["SIM_DEBUG"] != nil)
            elapsed += clock.now - began
            fig.decisions += 1
            fig.stateBytes += Double(arena.customers[i].engagement.bytes.count)
            let channels = truth.reachable
            var oracle = 0.0
            for c in channels {
                for s in slots {
                    oracle = max(oracle, Self.value(truth, c, s.at, due: due, urgency: urgency))
                }
            }
            fig.oracle += oracle
            if case .send(let channel, let at, let ex) = decision {
                fig.ours += Self.value(truth, channel, at, due: due, urgency: urgency)
                fig.bucketOurs[opens[i]] += Self.value(truth, channel, at, due: due, urgency: urgency)
                fig.oursChannelBest += slots.map {
                    Self.value(truth, channel, $0.at, due: due, urgency: urgency)
                }.max()!
                if !slots.contains(where: { $0.at == at }) { fig.violations += 1 }
                if ex.explored { fig.explored += 1 }
            } else {
                fig.violations += 1
            }
            let expected = ceilings[i].expected(channels: channels, quarters: slots.map(\.quarter))
            let c = Self.best(channels, slots, due: due, urgency: urgency) { expected[$0][$1] }
            fig.ceiling += Self.value(truth, c.channel, c.slot.at, due: due, urgency: urgency)
            fig.bucketCeiling[opens[i]] += Self.value(truth, c.channel, c.slot.at, due: due, urgency: urgency)
            fig.bucketCount[opens[i]] += 1
            fig.ceilingChannelBest += slots.map {
                Self.value(truth, c.channel, $0.at, due: due, urgency: urgency)
            }.max()!
            if let limit = Int(ProcessInfo.processInfo.environment["SIM_DEBUG"] ?? ""), i < limit,
                case .send(let channel, let at, let ex) = decision
            {
                let peaks = truth.peak.map { Double(Truth.peakGrid[$0]) / 4 + 0.125 }
                print(
                    "\(truth.id) \(truth.zoneName) base \(truth.base.map { Simulate.f($0, 2) }) peaks \(peaks.map { Simulate.f($0, 1) })"
                )
                print(
                    "  sends \(arena.customers[i].engagement.channels.map { "\($0.rawValue):\(arena.customers[i].engagement.counts($0))" })"
                )
                print(
                    "  ours \(channel.rawValue) \(truth.zone.format(at)) true \(Simulate.f(truth.openProbability(channel, at: at))); ceiling \(c.channel.rawValue) \(truth.zone.format(c.slot.at)) true \(Simulate.f(truth.openProbability(c.channel, at: c.slot.at))); due \(truth.zone.format(due))"
                )
                for line in ex.lines { print("    " + line) }
            }
            let n = Self.best(channels, slots, due: due, urgency: urgency) { k, j in
                naives[i].estimate(channels[k], hour: truth.zone.fields(slots[j].at).hour)
            }
            fig.naive += Self.value(truth, n.channel, n.slot.at, due: due, urgency: urgency)
            fig.emailNow += Self.value(truth, .email, slots[0].at, due: due, urgency: urgency)
        }
        fig.microseconds = Self.micros(elapsed) / Double(max(fig.decisions, 1))
        return fig
    }

    /// The policies compared in the closed loop.
    enum Policy: String, CaseIterable {
        case ours = "Touchpoint"
        case thompson = "plain Thompson sampling"
        case naive = "naive estimate"
        case ceiling = "Bayes ceiling (greedy)"
        case emailNow = "email now"
    }

    /// Closed loop: no history; a message per customer every other day for `weeks`, each decided by `policy`
    /// from the sends and opens of the earlier rounds only. Returns the mean regret per round (oracle − the
    /// chosen send's true open probability). Every policy meets the same customers, due times and uniform
    /// draws, so the differences are the policies'.
    func closedLoop(seed: UInt64, weeks: Int, policy: Policy) -> (regret: [Double], explored: Double) {
        let truths = truths(.f, seed: seed)
        var s = settings
        if policy == .thompson { s.exploration = 1 }
        let scheduler = Scheduler(settings: s)
        var arena = Arena(truths: truths, scheduler: scheduler)
        var ceilings = Array(repeating: Ceiling(sharedPeak: true), count: truths.count)
        var naives = Array(repeating: Naive(), count: truths.count)
        var dueRng = SeededGenerator(seed: seed ^ 0xC2B2_AE3D_27D4_EB4F)
        var lagRng = SeededGenerator(seed: seed ^ 0x1656_67B1_9E37_79F9)
        let rounds = weeks * 7 / 2
        var regret: [Double] = []
        var explored = 0
        for round in 0..<rounds {
            let roundStart = start + .days(Int64(2 * round))
            var dues: [Instant] = []
            for i in truths.indices {
                let due = roundStart + TimeSpan(seconds: Int64(dueRng.unit() * 86_400))
                dues.append(due)
                arena.enqueue(i, [History.event("Product Added", truths[i].id, due - .hours(1))])
            }
            var total = 0.0
            for i in truths.indices.sorted(by: { dues[$0] < dues[$1] }) {
                let truth = truths[i]
                let due = dues[i]
                let slots = slots(due: due, truth: truth)
                guard !slots.isEmpty else { continue }
                let channels = truth.reachable
                var choice: (channel: Channel, at: Instant)
                switch policy {
                case .ours, .thompson:
                    arena.catchUp(i, to: due)
                    let request = SendRequest(
                        messageId: "s\(seed)-\(truth.id)-r\(round)", rule: "triggered",
                        candidates: [.email, .sms, .chat], due: due, within: within)
                    let d = scheduler.decide(
                        request, customer: arena.customers[i], ledger: SendLedger(),
                        population: arena.population,
                        explain: false)
                    guard case .send(let c, let at, let ex) = d else { continue }
                    if ex.explored { explored += 1 }
                    choice = (c, at)
                case .ceiling:
                    let expected = ceilings[i].expected(channels: channels, quarters: slots.map(\.quarter))
                    let b = Self.best(channels, slots, due: due, urgency: nil) { expected[$0][$1] }
                    choice = (b.channel, b.slot.at)
                case .naive:
                    let b = Self.best(channels, slots, due: due, urgency: nil) { k, j in
                        naives[i].estimate(channels[k], hour: truth.zone.fields(slots[j].at).hour)
                    }
                    choice = (b.channel, b.slot.at)
                case .emailNow:
                    choice = (.email, slots[0].at)
                }
                var oracle = 0.0
                for c in channels {
                    for s in slots { oracle = max(oracle, truth.openProbability(c, at: s.at)) }
                }
                let u = SeededGenerator(seed: Self.mix(seed, UInt64(i), UInt64(round) + 2)).unitValue
                let send = History.send(
                    truth, choice.channel, at: choice.at, u: u, id: "s-\(truth.id)-\(round)", rng: &lagRng)
                total += oracle - truth.openProbability(choice.channel, at: choice.at)
                switch policy {
                case .ours, .thompson: arena.enqueue(i, send.events(user: truth.id))
                case .ceiling:
                    ceilings[i].observe(send.channel, quarter: truth.quarter(send.at), opened: send.opened)
                case .naive: naives[i].observe(send, zone: truth.zone)
                case .emailNow: break
                }
            }
            regret.append(total / Double(truths.count))
        }
        return (regret, Double(explored) / Double(rounds * truths.count))
    }

    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var g = SeededGenerator(
            seed: a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xBF58_476D_1CE4_E5B9 ^ c &* 0x94D0_49BB_1331_11EB)
        return g.next()
    }

    static func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }
}

extension SeededGenerator {
    /// The first uniform draw of a fresh generator.
    var unitValue: Double {
        var g = self
        return g.unit()
    }
}
