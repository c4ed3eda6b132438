import Events
import Foundation
import Scheduler
import TouchpointCore

/// Figures of one run (one seed, one history length).
struct Figures {
    var chosen = 0.0
    var oracle = 0.0
    var firstNow = 0.0
    var populationBest = 0.0
    var violations = 0
    var decisions = 0
    var microseconds = 0.0
    /// Mean size of a customer's packed `Engagement` at decision time (`bytes.count`).
    var stateBytes = 0.0
    /// Mean size of a customer's `Engagement` encoded as JSON (the daemon's store form).
    var encodedBytes = 0.0
    /// Time to apply one history event (`Customer.apply`, population counts, prior update), in ns.
    var nanosPerEvent = 0.0
    /// Mean regret per closed-loop round.
    var regret: [Double] = []
    /// Share of sends on the customer's truly best channel.
    var bestChannelShare = 0.0
    /// Share of decisions on the channel the oracle would pick.
    var rightChannel = 0.0
    /// Mean of the best true probability on the chosen channel inside the window (the hour's ceiling).
    var chosenChannelBest = 0.0
}

/// The benchmark: world, history, decisions, comparison.
struct Simulation {
    let settings: SchedulerSettings
    let quiet: QuietHours
    let within: TimeSpan
    let attributeSends: Bool
    /// Fit the channel priors from the population's spread (empirical Bayes) before deciding.
    let fitPriors: Bool
    /// Monday 4 May 2026 00:00 UTC: 16 weeks of history reach back across the March DST changes.
    let start = Instant(seconds: 1_777_852_800)

    /// The instants the scheduler may choose among: `due` and every later local whole hour up to
    /// `due + within`, outside quiet hours (the oracle's and the baselines' choice set).
    func allowed(due: Instant, zone: Zone) -> [Instant] {
        var out: [Instant] = []
        var t = due
        while t <= due + within {
            let f = zone.fields(t)
            if !quiet.contains(minuteOfDay: f.hour * 60 + f.minute) { out.append(t) }
            t = t + TimeSpan(seconds: Int64(3600 - f.minute * 60 - f.second))
        }
        return out
    }

    /// One seed: `weeks` of history, then one triggered message per customer in the following week.
    func offline(seed: UInt64, customers: Int, weeks: Int, world kind: Persona.World) -> Figures {
        var world = World(seed: seed, customers: customers, world: kind)
        let scheduler = Scheduler(settings: settings)
        var arena = Arena(
            personas: world.personas, scheduler: scheduler, attributeSends: attributeSends,
            fitPriors: fitPriors)
        let from = start - .days(Int64(7 * weeks))
        for i in world.personas.indices {
            var events = [world.identify(i, at: from - .days(1))]
            events += world.activity(i, from: from, to: start + .days(9))
            events += world.history(i, from: from, to: start)
            arena.enqueue(i, events)
        }
        let clock = ContinuousClock()
        let historyBegan = clock.now
        arena.catchUpAll(to: start)
        var fig = Figures()
        fig.nanosPerEvent = micros(clock.now - historyBegan) * 1000 / Double(max(arena.applied, 1))
        let encoder = JSONEncoder()
        var rng = SeededGenerator(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        var elapsed = Duration.zero
        for i in world.personas.indices {
            let p = world.personas[i]
            let due = start + TimeSpan(seconds: Int64(rng.unit() * 7 * 86_400))
            arena.catchUp(i, to: due)
            let request = SendRequest(
                messageId: "s\(seed)-\(p.id)", rule: "triggered", candidates: [.email, .sms, .chat], due: due,
                within: within)
            let began = clock.now
            let decision = scheduler.decide(
                request, customer: arena.customers[i], ledger: SendLedger(), population: arena.population)
            elapsed += clock.now - began
            fig.decisions += 1
            fig.stateBytes += Double(arena.customers[i].engagement.bytes.count)
            fig.encodedBytes += Double((try? encoder.encode(arena.customers[i].engagement).count) ?? 0)
            let slots = allowed(due: due, zone: p.zone)
            guard let first = slots.first else { continue }
            if case .send(let channel, let at, _) = decision {
                fig.chosen += p.openProbability(channel, at: at)
                let ceiling = slots.map { p.openProbability(channel, at: $0) }.max() ?? 0
                fig.chosenChannelBest += ceiling
                if ceiling >= oracle(p, slots) { fig.rightChannel += 1 }
                if !slots.contains(at) && !isQuietEndCandidate(at, due: due, zone: p.zone) {
                    fig.violations += 1
                }
            }
            fig.oracle += oracle(p, slots)
            fig.firstNow += p.openProbability(p.reachable[0], at: first)
            fig.populationBest += populationBest(world, p, slots)
        }
        let n = Double(max(fig.decisions, 1))
        fig.chosen /= n
        fig.oracle /= n
        fig.firstNow /= n
        fig.populationBest /= n
        fig.chosenChannelBest /= n
        fig.rightChannel /= n
        fig.microseconds = micros(elapsed) / n
        fig.stateBytes /= n
        fig.encodedBytes /= n
        return fig
    }

    /// Closed loop: no message history, `rounds` rounds two days apart, each customer gets one message per
    /// round; opens are drawn from the truth and fed back before the next round.
    func closedLoop(seed: UInt64, customers: Int, rounds: Int, world kind: Persona.World) -> Figures {
        var world = World(seed: seed, customers: customers, world: kind)
        let scheduler = Scheduler(settings: settings)
        var arena = Arena(
            personas: world.personas, scheduler: scheduler, attributeSends: attributeSends,
            fitPriors: fitPriors)
        let from = start - .days(28)
        let end = start + .days(Int64(2 * rounds + 2))
        for i in world.personas.indices {
            arena.enqueue(
                i, [world.identify(i, at: from - .days(1))] + world.activity(i, from: from, to: end))
        }
        arena.catchUpAll(to: start)
        var fig = Figures()
        var rng = SeededGenerator(seed: seed ^ 0xC2B2_AE3D_27D4_EB4F)
        var onBest = 0
        for round in 0..<rounds {
            var regret = 0.0
            let roundStart = start + .days(Int64(2 * round))
            for i in world.personas.indices {
                let p = world.personas[i]
                let due = roundStart + TimeSpan(seconds: Int64(rng.unit() * 86_400))
                arena.catchUp(i, to: due)
                let request = SendRequest(
                    messageId: "s\(seed)-\(p.id)-r\(round)", rule: "triggered",
                    candidates: [.email, .sms, .chat],
                    due: due, within: within)
                let decision = scheduler.decide(
                    request, customer: arena.customers[i], ledger: SendLedger(), population: arena.population)
                let slots = allowed(due: due, zone: p.zone)
                guard !slots.isEmpty, case .send(let channel, let at, _) = decision else { continue }
                let sent = world.message(i, channel, at: at, id: request.messageId, tally: true)
                arena.enqueue(i, sent.events)
                regret += oracle(p, slots) - sent.probability
                if p.base[channel.index] == p.base.max() { onBest += 1 }
            }
            fig.regret.append(regret / Double(customers))
        }
        fig.bestChannelShare = Double(onBest) / Double(rounds * customers)
        return fig
    }

    /// The end of quiet hours when it is not on the hour is a candidate too.
    private func isQuietEndCandidate(_ at: Instant, due: Instant, zone: Zone) -> Bool {
        let f = zone.fields(at)
        return at >= due && at <= due + within && f.hour * 60 + f.minute == quiet.endMinute
    }

    private func oracle(_ p: Persona, _ slots: [Instant]) -> Double {
        var best = 0.0
        for c in p.reachable { for t in slots { best = max(best, p.openProbability(c, at: t)) } }
        return best
    }

    /// The population's best channel (by open rate) at the population's best local send hour for it.
    private func populationBest(_ world: World, _ p: Persona, _ slots: [Instant]) -> Double {
        let channel = p.reachable.max { world.populationRate($0) < world.populationRate($1) }!
        let at = slots.max {
            world.populationRate(channel, hour: p.zone.fields($0).hour)
                < world.populationRate(channel, hour: p.zone.fields($1).hour)
        }!
        return p.openProbability(channel, at: at)
    }

    private func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }
}
