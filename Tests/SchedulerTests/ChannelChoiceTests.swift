import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Channel choice")
struct ChannelChoiceTests {
    let due = at("2026-11-20T10:00:00+08:00")

    /// `count` sends on `channel`, one a day ending `endingDaysAgo` before `due`, each opened 10 minutes later
    /// when `opened`.
    func history(
        _ c: inout Customer, _ channel: Channel, count: Int, opened: Bool, endingDaysAgo: Int64 = 1
    ) {
        for i in (0..<Int64(count)).reversed() {
            let sent = due - .days(endingDaysAgo + i)
            c.engagement.recordSend(channel, at: sent)
            if opened { c.engagement.recordOpen(channel, at: sent + .minutes(10)) }
        }
    }

    func choices(
        _ channels: [Channel], _ c: Customer, population: PopulationStats = PopulationStats(),
        halfLife: TimeSpan = .days(30), exploration: Double = 0.25, ids: Int = 100
    ) -> [Channel: Int] {
        var counts: [Channel: Int] = [:]
        let s = scheduler(halfLife: halfLife, exploration: exploration)
        for i in 0..<ids {
            let d = s.decide(
                request(id: "msg-\(i)", channels: channels, due: due), customer: c, ledger: SendLedger(),
                population: population)
            if let ch = d.channel { counts[ch, default: 0] += 1 }
        }
        return counts
    }

    @Test("a customer who opens every SMS and no email gets SMS")
    func smsOpener() {
        var c = customer(email: "a@example.com", phone: "+1555")
        history(&c, .sms, count: 5, opened: true)
        history(&c, .email, count: 5, opened: false)
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.channel == .sms)
        let sms = d.explanation.channels.first { $0.channel == .sms }
        let email = d.explanation.channels.first { $0.channel == .email }
        #expect((sms?.mean ?? 0) > 0.5)
        #expect((email?.mean ?? 1) < 0.3)
        #expect(choices([.email, .sms], c)[.sms, default: 0] >= 95)
    }

    @Test("with no data anywhere the rule's first reachable channel wins, whatever the message id")
    func tiesFollowRuleOrder() {
        let c = customer(email: "a@example.com", phone: "+1555", chat: "c1")
        #expect(choices([.sms, .email, .chat], c) == [.sms: 100])
        #expect(choices([.chat, .email], c) == [.chat: 100])
    }

    @Test("the same input decides the same way every time")
    func deterministic() {
        var c = customer(email: "a@example.com", phone: "+1555")
        history(&c, .sms, count: 2, opened: true)
        history(&c, .email, count: 3, opened: true)
        let s = scheduler(quiet: "21:00-08:00")
        let r = request(channels: [.email, .sms], due: due, within: .hours(24))
        let first = s.decide(r, customer: c, ledger: SendLedger(), population: PopulationStats())
        for _ in 0..<5 {
            #expect(s.decide(r, customer: c, ledger: SendLedger(), population: PopulationStats()) == first)
        }
    }

    /// A population where SMS (40 %) is a little better than email (30 %), with attributed responses.
    func closePopulation() -> PopulationStats {
        var population = PopulationStats()
        for i in 0..<100 {
            let t = due - .hours(Int64(i))
            population.recordSend(.email, at: t, zone: .utc)
            population.recordSend(.sms, at: t, zone: .utc)
            if i % 10 < 3 { population.recordOpen(.email, at: t + .minutes(5), zone: .utc, sentAt: t) }
            if i % 10 < 4 { population.recordOpen(.sms, at: t + .minutes(5), zone: .utc, sentAt: t) }
        }
        return population
    }

    @Test("exploration 0 always takes the higher posterior mean, whatever the message id")
    func noExploration() {
        let counts = choices(
            [.email, .sms], customer(email: "a@example.com", phone: "+1555"), population: closePopulation(),
            exploration: 0)
        #expect(counts == [.sms: 100])
    }

    @Test("exploration tries an overlapping runner-up at most its cap of the time, and says so")
    func boundedExploration() {
        let c = customer(email: "a@example.com", phone: "+1555")
        for cap in [0.05, 0.25] {
            var explored = 0
            for i in 0..<400 {
                let d = scheduler(exploration: cap).decide(
                    request(id: "m-\(i)", channels: [.email, .sms], due: due), customer: c,
                    ledger: SendLedger(),
                    population: closePopulation())
                let ex = d.explanation
                #expect((ex.explorationShare ?? 1) <= cap + 1e-12)
                #expect((ex.explorationShare ?? 0) > 0)
                #expect(ex.explored == (d.channel == .email))
                if ex.explored { explored += 1 }
            }
            // The draw is uniform: about the share of the messages go to the runner-up.
            let share = scheduler(exploration: cap).decide(
                request(id: "m-0", channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
                population: closePopulation()
            ).explanation.explorationShare!
            #expect(abs(Double(explored) / 400 - share) < 0.05)
        }
    }

    @Test("posteriors that do not overlap give no exploration")
    func noOverlapNoExploration() {
        var c = customer(email: "a@example.com", phone: "+1555")
        history(&c, .sms, count: 30, opened: true)
        history(&c, .email, count: 30, opened: false)
        let d = scheduler(exploration: 0.25).decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: closePopulation())
        #expect(d.channel == .sms)
        #expect((d.explanation.explorationShare ?? 1) < 1e-6)
        #expect(!d.explanation.explored)
    }

    @Test("plain Thompson sampling (exploration 1) scores each channel by a seeded draw from its posterior")
    func plainThompson() throws {
        let c = customer(email: "a@example.com", phone: "+1555")
        let r = request(id: "m-scale", channels: [.email, .sms], due: due)
        let plain = scheduler(exploration: 1).decide(
            r, customer: c, ledger: SendLedger(), population: closePopulation())
        let again = scheduler(exploration: 1).decide(
            r, customer: c, ledger: SendLedger(), population: closePopulation())
        #expect(plain == again)
        for e in plain.explanation.channels { #expect(e.sample != e.mean) }
        let none = scheduler(exploration: 0).decide(
            r, customer: c, ledger: SendLedger(), population: closePopulation())
        for e in none.explanation.channels { #expect(e.sample == e.mean) }
        #expect(none.channel == .sms)
    }

    @Test("the same message id gives the same channel at any exploration strength")
    func seededReproducibility() {
        var c = customer(email: "a@example.com", phone: "+1555")
        history(&c, .sms, count: 2, opened: true)
        history(&c, .email, count: 2, opened: true)
        for e in [0.25, 1.0] {
            let s = scheduler(exploration: e)
            let picks = (0..<40).map { i in
                s.decide(
                    request(id: "id-\(i)", channels: [.email, .sms], due: due), customer: c,
                    ledger: SendLedger(),
                    population: closePopulation()
                ).channel
            }
            let again = (0..<40).map { i in
                s.decide(
                    request(id: "id-\(i)", channels: [.email, .sms], due: due), customer: c,
                    ledger: SendLedger(),
                    population: closePopulation()
                ).channel
            }
            #expect(picks == again)
            // Overlapping posteriors: some ids pick each channel, so the seed really matters.
            #expect(Set(picks.compactMap { $0 }).count == 2)
        }
    }

    @Test("weaker exploration strays from the best estimate less often")
    func explorationStrength() {
        let c = customer(email: "a@example.com", phone: "+1555")
        let plain = choices([.email, .sms], c, population: closePopulation(), exploration: 1)
        let light = choices([.email, .sms], c, population: closePopulation(), exploration: 0.25)
        #expect(light[.email, default: 0] < plain[.email, default: 0])
        #expect(light[.sms, default: 0] > 50)
    }

    @Test("plain Thompson sampling (exploration 1) explores channels whose estimates overlap")
    func explores() {
        var population = PopulationStats()
        let zone = Zone.utc
        for i in 0..<100 {
            let t = due - .hours(Int64(i))
            population.recordSend(.email, at: t, zone: zone)
            population.recordSend(.sms, at: t, zone: zone)
            if i % 10 < 3 { population.recordOpen(.email, at: t + .minutes(5), zone: zone, sentAt: t) }
            if i % 10 < 4 { population.recordOpen(.sms, at: t + .minutes(5), zone: zone, sentAt: t) }
        }
        let counts = choices(
            [.email, .sms], customer(email: "a@example.com", phone: "+1555"), population: population,
            exploration: 1)
        #expect(counts[.email, default: 0] >= 10)
        #expect(counts[.sms, default: 0] >= 10)
        #expect(counts[.sms, default: 0] > counts[.email, default: 0])
    }

    @Test("a strong population rate steers a customer without history")
    func populationPrior() {
        var population = PopulationStats()
        for i in 0..<200 {
            let t = due - .hours(Int64(i))
            population.recordSend(.email, at: t, zone: .utc)
            population.recordSend(.sms, at: t, zone: .utc)
            if i % 20 == 0 { population.recordOpen(.email, at: t, zone: .utc, sentAt: t) }
            if i % 10 < 8 { population.recordClick(.sms, at: t, zone: .utc, sentAt: t) }
        }
        #expect(abs(population.openRate(.sms) - 161.0 / 202.0) < 1e-9)
        let counts = choices(
            [.email, .sms], customer(email: "a@example.com", phone: "+1555"), population: population)
        #expect(counts[.sms, default: 0] >= 95)
    }

    @Test("old engagement counts less than recent engagement (half-life)")
    func halfLife() {
        func build(_ policy: EngagementPolicy) -> Customer {
            var c = customer(email: "a@example.com", phone: "+1555")
            let zone = policy.defaultZone
            // In time order: a year ago SMS was opened and email not; lately the reverse.
            for i in (0..<10).reversed() {
                let t = due - .days(365 + Int64(i))
                c.engagement.recordSend(.sms, at: t, zone: zone, policy: policy)
                c.engagement.recordOpen(.sms, at: t + .minutes(10), zone: zone, policy: policy)
                c.engagement.recordSend(.email, at: t + .minutes(20), zone: zone, policy: policy)
            }
            for i in (1...4).reversed() {
                let t = due - .days(Int64(i))
                c.engagement.recordSend(.email, at: t, zone: zone, policy: policy)
                c.engagement.recordOpen(.email, at: t + .minutes(10), zone: zone, policy: policy)
                c.engagement.recordSend(.sms, at: t + .minutes(20), zone: zone, policy: policy)
            }
            return c
        }
        // Recent behaviour wins with a 30-day half-life ...
        #expect(choices([.sms, .email], build(testPolicy))[.email, default: 0] >= 90)
        // ... while without decay the larger, older record still wins.
        var forever = testPolicy
        forever.halfLife = .zero
        #expect(choices([.sms, .email], build(forever), halfLife: .zero)[.sms, default: 0] >= 90)
    }

    @Test("opens that match no send are not evidence")
    func unmatchedOpens() {
        var c = customer(email: "a@example.com", phone: "+1555")
        for i in 0..<20 { c.engagement.recordOpen(.sms, at: due - .hours(Int64(i))) }
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.channel == .email)
        #expect(d.explanation.channels.allSatisfy { $0.sends == 0 && $0.responses == 0 })
    }

    @Test("an open is credited only to the latest send before it, once, inside the attribution window")
    func attribution() {
        var c = customer()
        let s1 = due - .days(10) + .hours(1)  // 11:00 local
        let s2 = due - .days(9)  // 10:00 local
        let s3 = due - .days(5) + .hours(5)  // 15:00 local
        c.engagement.recordSend(.email, at: s1)
        c.engagement.recordSend(.email, at: s2)
        c.engagement.recordOpen(.email, at: s2 + .minutes(40))  // credits s2, not s1
        c.engagement.recordOpen(.email, at: s2 + .hours(2))  // a second open of the same message
        c.engagement.recordSend(.email, at: s3)
        c.engagement.recordClick(.email, at: s3 + .days(4))  // outside the 3-day window
        #expect(c.engagement.counts(.email).sends == 3)
        #expect(c.engagement.counts(.email).responses == 1)
        let responses = c.engagement.responseHours(.email, at: due)
        #expect(responses[10] > 0)
        #expect(responses.enumerated().allSatisfy { $0.offset == 10 || $0.element == 0 })
        let sends = c.engagement.sendHours(.email, at: due)
        #expect(sends[10] > 0 && sends[11] > 0 && sends[15] > 0)
        // Opens and clicks an hour or more after the last send count as open times, credited or not; the
        // prompt one only answers its send.
        #expect(c.engagement.engagedHours(.email, at: due).filter { $0 > 0 }.count == 2)
    }
}
