import Foundation
import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Model update rules")
struct ModelRuleTests {
    let due = at("2026-11-20T10:00:00+08:00")
    let shanghai = Zone("Asia/Shanghai")!

    @Test("the channel posterior is the population prior plus the decayed responses over effective sends")
    func posteriorUpdate() throws {
        var c = customer()
        // Three sends 3, 2 and 1 days before due; the two most recent opened.
        for days in (1...3).reversed() {
            let t = due - .days(Int64(days))
            c.engagement.recordSend(.email, at: t)
            if days < 3 { c.engagement.recordOpen(.email, at: t + .minutes(5)) }
        }
        let d = scheduler(halfLife: .days(30), exploration: 0).decide(
            request(due: due), customer: c, ledger: SendLedger(), population: PopulationStats())
        let e = try #require(d.explanation.channels.first)
        let w = { (days: Double) in exp2(-days / 30) }
        let p = 0.5  // Laplace-smoothed population rate with no data
        // The bins are 8-bit block floating point: exact to well under 1 % here.
        #expect(abs(e.sends - (w(1) + w(2) + w(3))) < 0.01)
        #expect(abs(e.responses - (w(1) + w(2))) < 0.01)
        #expect(abs(e.alpha - (p * 4 + e.responses)) < 1e-12)
        // All three sends went at 10:00, where the curve has risen above 1: effective sends exceed sends.
        #expect(e.beta > (1 - p) * 4 + e.sends - e.responses)
        #expect(e.sample == e.mean)
    }

    @Test("the hour kernel keeps totals and is symmetric across midnight")
    func kernel() {
        var v = [Double](repeating: 0, count: 24)
        v[23] = 1
        let k = Scheduler.kernel(bandwidth: 2)
        let s = Scheduler.smooth(v, k)
        #expect(abs(s.reduce(0, +) - 1) < 1e-12)
        #expect(abs(s[22] - s[0]) < 1e-12)
        #expect(s[23] > s[22] && s[22] > s[21])
        #expect(abs(k.reduce(0, +) - 1) < 1e-12)
        #expect(Scheduler.kernel(bandwidth: 0) == [1])
    }

    @Test("smoothing is exactly the circular sum v[(h + j − r) mod 24] × w[j], for every kernel width")
    func smoothIsTheCircularSum() {
        var rng = SeededGenerator(seed: 17)
        for bandwidth in [0, 0.3, 1, 2, 2.25, 3.75, 5] {
            let k = Scheduler.kernel(bandwidth: bandwidth)
            let r = k.count / 2
            let v = (0..<24).map { _ in Double(rng.next() % 1000) / 7 }
            var expected = [Double](repeating: 0, count: 24)
            for h in 0..<24 {
                for (j, w) in k.enumerated() where w > 0 { expected[h] += w * v[(h + j - r + 48) % 24] }
            }
            #expect(Scheduler.smooth(v, k) == expected, "bandwidth \(bandwidth)")
        }
    }

    @Test("one curve for every channel: texts opened at 19:00 place an email at 19:00 too")
    func sharedCurve() {
        var c = customer(phone: "+1", timezone: "Asia/Shanghai")
        for day in 1...8 {
            for hour in [10, 13, 16, 19, 20] {
                let t = due - .days(Int64(day)) + .hours(Int64(hour - 10))
                c.engagement.recordSend(.sms, at: t)
                if hour == 19 { c.engagement.recordOpen(.sms, at: t + .minutes(3)) }
            }
        }
        let d = scheduler(quiet: "21:00-08:00", exploration: 0).decide(
            request(channels: [.email], due: due, within: .hours(24)), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(localTime(d.sendAt, "Asia/Shanghai") == "19:00")
    }

    @Test("a channel read at another hour than the rest bends the shared curve for itself")
    func channelBend() {
        var c = customer(phone: "+1", timezone: "Asia/Shanghai")
        for day in 1...12 {
            for hour in [9, 12, 15, 19, 20] {
                let t = due - .days(Int64(day)) + .hours(Int64(hour - 10))
                c.engagement.recordSend(.email, at: t)
                c.engagement.recordSend(.sms, at: t + .minutes(1))
                if hour == 12 { c.engagement.recordOpen(.email, at: t + .minutes(2)) }
                if hour == 19 { c.engagement.recordOpen(.sms, at: t + .minutes(3)) }
            }
        }
        let s = scheduler(quiet: "21:00-08:00", exploration: 0)
        let email = s.decide(
            request(channels: [.email], due: due, within: .hours(24)), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        let sms = s.decide(
            request(channels: [.sms], due: due, within: .hours(24)), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(localTime(email.sendAt, "Asia/Shanghai") == "12:00")
        #expect(localTime(sms.sendAt, "Asia/Shanghai") == "19:00")
    }

    @Test("a channel tried only at bad hours is not blamed for them")
    func effectiveSends() throws {
        var c = customer(phone: "+1", timezone: "Asia/Shanghai")
        // The customer opens at 19:00 whatever the channel; email was only ever sent at 09:00 (and ignored),
        // SMS at both hours.
        for day in 1...10 {
            let nine = due - .days(Int64(day)) - .hours(1)
            let seven = nine + .hours(10)
            c.engagement.recordSend(.email, at: nine)
            c.engagement.recordSend(.sms, at: nine + .minutes(1))
            c.engagement.recordSend(.sms, at: seven)
            c.engagement.recordOpen(.sms, at: seven + .minutes(3))
        }
        let d = scheduler(exploration: 0).decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        let email = try #require(d.explanation.channels.first { $0.channel == .email })
        // Raw: 0 of 10. Over effective sends (09:00 counts little), the posterior mean stays well above the
        // raw rate's posterior.
        let raw = (0.5 * 4) / (4 + email.sends)
        #expect(email.mean > 1.5 * raw)
    }

    @Test("an hour's estimate speaks for where in the hour its sends fell")
    func sendMinute() {
        var early = customer(timezone: "Asia/Shanghai")
        var late = customer(timezone: "Asia/Shanghai")
        for day in 1...10 {
            // Opened when sent in the 15:00 hour; others at 09:00 and 20:00 ignored.
            let base = due - .days(Int64(day))
            for (c, minute) in [(0, 0), (1, 50)] {
                for hour in [9, 15, 20] {
                    let t = base + .hours(Int64(hour - 10)) + .minutes(Int64(minute))
                    if c == 0 {
                        early.engagement.recordSend(.email, at: t)
                        if hour == 15 { early.engagement.recordOpen(.email, at: t + .minutes(2)) }
                    } else {
                        late.engagement.recordSend(.email, at: t)
                        if hour == 15 { late.engagement.recordOpen(.email, at: t + .minutes(2)) }
                    }
                }
            }
        }
        #expect(early.engagement.sendMinute < 1)
        #expect(abs(late.engagement.sendMinute - 50) < 1)
        let s = scheduler(quiet: "21:00-08:00", exploration: 0)
        let r = request(due: due, within: .hours(24))
        // Sends at 15:00 sharp were opened: 15:00. Sends at 15:50 were: 16:00 is nearer than 15:00.
        let a = s.decide(r, customer: early, ledger: SendLedger(), population: PopulationStats())
        let b = s.decide(r, customer: late, ledger: SendLedger(), population: PopulationStats())
        #expect(localTime(a.sendAt, "Asia/Shanghai") == "15:00")
        #expect(localTime(b.sendAt, "Asia/Shanghai") == "16:00")
    }

    @Test("cold start: the population's rates pick the channel, and its curve the hour once it shows one")
    func coldStart() {
        var population = PopulationStats()
        for day in 1...60 {
            for hour in [9, 14, 19, 20] {
                let t = due - .days(Int64(day)) + .hours(Int64(hour - 10))
                population.recordSend(.email, at: t, zone: shanghai)
                population.recordSend(.sms, at: t, zone: shanghai)
                // SMS is read more, both channels better at 19:00 than at the other hours.
                if hour == 19 || day % 4 == 0 {
                    population.recordOpen(.sms, at: t + .minutes(5), zone: shanghai, sentAt: t)
                }
                if hour == 19 && day % 3 == 0 {
                    population.recordOpen(.email, at: t + .minutes(5), zone: shanghai, sentAt: t)
                }
            }
        }
        let d = scheduler(quiet: "21:00-08:00", exploration: 0).decide(
            request(channels: [.email, .sms], due: due, within: .hours(24)),
            customer: customer(phone: "+1", timezone: "Asia/Shanghai"), ledger: SendLedger(),
            population: population)
        #expect(d.channel == .sms)
        // The population's evening: the earliest hour within the no-evidence tolerance of its best, 19:00.
        let hour = Zone("Asia/Shanghai")!.fields(d.sendAt!).hour
        #expect((17...19).contains(hour))
        // A population that has shown nothing about hours leaves a new customer at the earliest time.
        let flat = scheduler(quiet: "21:00-08:00", exploration: 0).decide(
            request(channels: [.email, .sms], due: due, within: .hours(24)),
            customer: customer(phone: "+1", timezone: "Asia/Shanghai"), ledger: SendLedger(),
            population: PopulationStats())
        #expect(flat.sendAt == due)
    }
}
