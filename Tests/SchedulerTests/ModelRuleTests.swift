import Foundation
import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Model update rules")
struct ModelRuleTests {
    let due = at("2026-11-20T10:00:00+08:00")

    @Test("the channel posterior is the population prior plus the decayed attributed sends and responses")
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
        #expect(abs(e.beta - ((1 - p) * 4 + e.sends - e.responses)) < 1e-12)
        #expect(e.sample == e.mean)
    }

    @Test("the hour kernel keeps totals and lends 15 % to each neighbour, across midnight")
    func kernel() {
        var v = [Double](repeating: 0, count: 24)
        v[23] = 1
        let s = Scheduler.smoothed(v)
        #expect(abs(s[23] - 0.7) < 1e-12)
        #expect(abs(s[22] - 0.15) < 1e-12)
        #expect(abs(s[0] - 0.15) < 1e-12)
        #expect(abs(s.reduce(0, +) - 1) < 1e-12)
        #expect(s[1...21].allSatisfy { $0 == 0 })
    }

    @Test("hour-of-week slots fold into weekday (Monday–Friday) and weekend hours")
    func dayTypes() {
        var v = [Double](repeating: 0, count: HourOfWeek.count)
        v[0 * 24 + 19] = 1  // Monday 19:00
        v[4 * 24 + 19] = 2  // Friday 19:00
        v[5 * 24 + 19] = 4  // Saturday 19:00
        v[6 * 24 + 8] = 8  // Sunday 08:00
        let folded = Scheduler.byDayType(v)
        #expect(folded.weekday[19] == 3)
        #expect(folded.weekend[19] == 4)
        #expect(folded.weekend[8] == 8)
        #expect(folded.weekday.reduce(0, +) == 3)
    }

    @Test("a customer's histogram lifts their hour on both day types, and each day type averages 1")
    func distributionLift() {
        let s = scheduler()
        var weekday = [Double](repeating: 0, count: 24)
        let weekend = weekday
        weekday[20] = 5  // weekday evenings only
        let lift = s.distributionLift(
            hours: weekday, byDayType: (weekday, weekend),
            population: [Int](repeating: 0, count: HourOfWeek.count))
        let monday = Array(lift[0..<24])
        let sunday = Array(lift[(6 * 24)..<(7 * 24)])
        #expect(abs(monday.reduce(0, +) / 24 - 1) < 1e-9)
        #expect(abs(sunday.reduce(0, +) / 24 - 1) < 1e-9)
        #expect(monday.firstIndex(of: monday.max()!) == 20)
        // No weekend data: the weekend follows the customer's all-days pattern, more weakly.
        #expect(sunday.firstIndex(of: sunday.max()!) == 20)
        #expect(sunday[20] < monday[20])
        #expect(monday[19] > monday[12] && monday[21] > monday[12])
        #expect(lift[2 * 24 + 20] == monday[20])
    }

    @Test("cold start: a customer without history gets the population's best channel and hour")
    func coldStart() {
        var population = PopulationStats()
        let zone = Zone("Asia/Shanghai")!
        for day in 1...30 {
            let t = due - .days(Int64(day)) + .hours(9)  // 19:00 local
            population.recordSend(.email, at: t, zone: zone)
            population.recordSend(.sms, at: t, zone: zone)
            population.recordActivity(at: t, zone: zone)
            if day % 2 == 0 { population.recordOpen(.sms, at: t + .minutes(5), zone: zone, sentAt: t) }
            if day % 10 == 0 { population.recordOpen(.email, at: t + .minutes(5), zone: zone, sentAt: t) }
        }
        let d = scheduler(quiet: "21:00-08:00", exploration: 0).decide(
            request(channels: [.email, .sms], due: due, within: .hours(24)),
            customer: customer(phone: "+1", timezone: "Asia/Shanghai"), ledger: SendLedger(),
            population: population)
        #expect(d.channel == .sms)
        #expect(localTime(d.sendAt, "Asia/Shanghai") == "19:00")
    }
}
