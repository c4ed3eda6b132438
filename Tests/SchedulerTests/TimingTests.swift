import Foundation
import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Send time")
struct TimingTests {
    let shanghai = "Asia/Shanghai"
    let none = SendLedger()
    let empty = PopulationStats()

    @Test("with no data the message goes when due")
    func noDataSendsAtDue() {
        let due = at("2026-11-20T10:17:00+08:00")
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24)), customer: customer(timezone: shanghai), ledger: none,
            population: empty)
        #expect(d.sendAt == due)
    }

    @Test("a customer who opens at 20:00 local gets 20:00")
    func eveningOpener() {
        var c = customer(timezone: shanghai)
        for day in 13...17 { c.engagement.recordOpen(.email, at: at("2026-11-\(day)T20:0\(day % 10)+08:00")) }
        let due = at("2026-11-20T10:00:00+08:00")
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24)), customer: c, ledger: none, population: empty)
        #expect(d.sendAt == at("2026-11-20T20:00:00+08:00"))
        #expect((d.explanation.chosenScore ?? 0) > 1.1 * (d.explanation.earliestScore ?? .infinity))
    }

    @Test("opens that come hours after the send place the message at the open hour, not the send hour")
    func lateOpensAreOpenTimes() {
        var c = customer(timezone: shanghai)
        for day in 13...17 {
            c.engagement.recordSend(.email, at: at("2026-11-\(day)T10:00:00+08:00"))
            c.engagement.recordOpen(.email, at: at("2026-11-\(day)T20:05:00+08:00"))
        }
        // Every email was opened — ten hours later: the rate is high, 10:00 is neither good nor bad, and
        // the open times say the evening.
        #expect(c.engagement.evidence(.email, at: at("2026-11-20T00:00:00+08:00")).responses > 4)
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T10:00:00+08:00"), within: .hours(24)), customer: c, ledger: none,
            population: empty)
        let hour = Zone(shanghai)!.fields(d.sendAt!).hour
        #expect(hour == 19 || hour == 20)
    }

    @Test("opens right after a send are the send's answer, not open times that echo the schedule")
    func quickOpensAreNotOpenTimes() {
        var c = customer(timezone: shanghai)
        for day in 1...9 {
            let t = at("2026-11-0\(day)T10:00:00+08:00")
            c.engagement.recordSend(.email, at: t)
            c.engagement.recordOpen(.email, at: t + .minutes(20))
        }
        #expect(c.engagement.engagedHours(.email, at: at("2026-11-10T00:00:00+08:00")).allSatisfy { $0 == 0 })
        c.engagement.recordOpen(.email, at: at("2026-11-09T12:30:00+08:00"))
        #expect(c.engagement.engagedHours(.email, at: at("2026-11-10T00:00:00+08:00"))[12] > 0)
    }

    @Test("a window that does not reach the customer's hour sends at the best hour inside it")
    func windowTooShort() {
        var c = customer(timezone: shanghai)
        for day in 13...17 { c.engagement.recordOpen(.email, at: at("2026-11-\(day)T20:05:00+08:00")) }
        let due = at("2026-11-20T10:00:00+08:00")
        let d = scheduler().decide(
            request(due: due, within: .hours(3)), customer: c, ledger: none, population: empty)
        #expect(d.sendAt == due)
    }

    @Test("an evening opener's preferred hour is not used when it falls in quiet hours")
    func preferredHourInQuiet() {
        var c = customer(timezone: shanghai)
        for day in 13...17 { c.engagement.recordOpen(.email, at: at("2026-11-\(day)T22:05:00+08:00")) }
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T10:00:00+08:00"), within: .hours(24)), customer: c, ledger: none,
            population: empty)
        let hour = Zone(shanghai)!.fields(d.sendAt!).hour
        #expect(hour >= 8 && hour < 21)
    }

    @Test("activity times place the message when the customer has no opens")
    func activitySignal() {
        var c = customer(timezone: shanghai)
        for day in 10...17 { c.engagement.recordActivity(at: at("2026-11-\(day)T19:3\(day % 10)+08:00")) }
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T09:00:00+08:00"), within: .hours(24)), customer: c, ledger: none,
            population: empty)
        #expect(localTime(d.sendAt, shanghai) == "19:00")
    }

    @Test("the population's responses by send hour place a customer without history")
    func populationTiming() {
        var population = PopulationStats()
        let zone = Zone(shanghai)!
        for day in 1...28 {
            for hour in [9, 12, 15, 18, 20] {
                let t = at("2026-10-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):00:00+08:00")
                for _ in 0..<10 { population.recordSend(.email, at: t, zone: zone) }
                let opened = hour == 18 ? 8 : 2
                for _ in 0..<opened {
                    population.recordOpen(.email, at: t + .minutes(5), zone: zone, sentAt: t)
                }
            }
        }
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T09:00:00+08:00"), within: .hours(24)),
            customer: customer(timezone: shanghai),
            ledger: none, population: population)
        // Within the tolerance (10 % for a customer with no evidence of their own) of the population's best,
        // 18:00, the earliest hour is taken.
        let hour = Zone(shanghai)!.fields(d.sendAt!).hour
        #expect(hour == 17 || hour == 18)
        // Open times alone (opens credited to no send) say nothing about when to send.
        var opensOnly = PopulationStats()
        for day in 1...28 {
            opensOnly.recordOpen(
                .email, at: at("2026-10-\(day < 10 ? "0" : "")\(day)T18:10:00+08:00"), zone: zone)
        }
        let e = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T09:00:00+08:00"), within: .hours(24)),
            customer: customer(timezone: shanghai), ledger: none, population: opensOnly)
        #expect(e.sendAt == at("2026-11-20T09:00:00+08:00"))
    }

    @Test("old open times count less than recent ones (half-life)")
    func halfLifeTiming() {
        func build(_ policy: EngagementPolicy) -> Customer {
            var c = customer(timezone: shanghai)
            let zone = Zone(shanghai)!
            for day in 1...20 {
                let t = at("2025-10-\(day < 10 ? "0" : "")\(day)T09:05:00+08:00")
                c.engagement.recordOpen(.email, at: t, zone: zone, policy: policy)
            }
            for day in 8...17 {
                c.engagement.recordOpen(
                    .email, at: at("2026-11-\(day < 10 ? "0" : "")\(day)T20:05:00+08:00"), zone: zone,
                    policy: policy)
            }
            return c
        }
        let r = request(due: at("2026-11-20T08:00:00+08:00"), within: .hours(14))
        let recent = scheduler().decide(r, customer: build(testPolicy), ledger: none, population: empty)
        #expect(localTime(recent.sendAt, shanghai) == "20:00")
        var forever = testPolicy
        forever.halfLife = .zero
        let undecayed = scheduler(halfLife: .zero).decide(
            r, customer: build(forever), ledger: none, population: empty)
        #expect(localTime(undecayed.sendAt, shanghai) == "09:00")
    }

    @Test("a message due in quiet hours goes at the end of quiet hours")
    func pushedToQuietEnd() {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T23:10:00+08:00"), within: .hours(24)),
            customer: customer(timezone: shanghai),
            ledger: none, population: empty)
        #expect(d.sendAt == at("2026-11-21T08:00:00+08:00"))
        // 23:10 and 00:00-07:00 tonight, 21:00-23:00 tomorrow.
        #expect(d.explanation.quietCount == 12)
    }

    @Test("quiet hours ending off the hour end at their own minute")
    func quietEndOffHour() {
        let d = scheduler(quiet: "21:00-08:30").decide(
            request(due: at("2026-11-20T02:00:00+08:00"), within: .hours(12)),
            customer: customer(timezone: shanghai),
            ledger: none, population: empty)
        #expect(d.sendAt == at("2026-11-20T08:30:00+08:00"))
    }

    @Test("quiet hours across midnight hold early-morning messages until the morning")
    func acrossMidnight() {
        let s = scheduler(quiet: "22:00-07:00")
        let early = s.decide(
            request(due: at("2026-11-20T01:00:00+08:00"), within: .hours(12)),
            customer: customer(timezone: shanghai),
            ledger: none, population: empty)
        #expect(early.sendAt == at("2026-11-20T07:00:00+08:00"))
        let evening = s.decide(
            request(due: at("2026-11-20T21:59:00+08:00"), within: .zero),
            customer: customer(timezone: shanghai),
            ledger: none, population: empty)
        #expect(evening.sendAt == at("2026-11-20T21:59:00+08:00"))
    }

    @Test("a window wholly inside quiet hours is quiet-hours")
    func windowInQuiet() {
        let s = scheduler(quiet: "21:00-08:00")
        let c = customer(timezone: shanghai)
        let d = s.decide(
            request(due: at("2026-11-20T22:00:00+08:00"), within: .hours(9)), customer: c, ledger: none,
            population: empty)
        #expect(d.reason == .quietHours)
        // The window's end at exactly 08:00 is outside quiet hours, so one more minute of window is enough.
        let edge = s.decide(
            request(due: at("2026-11-20T22:00:00+08:00"), within: .hours(10)), customer: c,
            ledger: none, population: empty)
        #expect(edge.sendAt == at("2026-11-21T08:00:00+08:00"))
    }

    @Test("a message with no window due in quiet hours is quiet-hours")
    func zeroWindowInQuiet() {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T23:00:00+08:00")), customer: customer(timezone: shanghai),
            ledger: none,
            population: empty)
        #expect(d.reason == .quietHours)
    }

    @Test("quiet hours are read in the customer's zone, else the default zone")
    func customerZone() {
        let s = scheduler(quiet: "21:00-08:00")
        let due = at("2026-11-20T07:00:00+08:00")  // 10:00 in Sydney (AEDT)
        let sydney = s.decide(
            request(due: due), customer: customer(timezone: "Australia/Sydney"), ledger: none,
            population: empty)
        #expect(sydney.sendAt == due)
        let fallback = s.decide(
            request(due: due), customer: customer(timezone: "Not/AZone"), ledger: none,
            population: empty)
        #expect(fallback.reason == .quietHours)
        #expect(s.zone(for: customer(timezone: "Not/AZone")).identifier == "Asia/Shanghai")
        #expect(s.zone(for: customer(timezone: "Europe/London")).identifier == "Europe/London")
    }

    @Test("transactional messages ignore quiet hours and timing and go when due")
    func transactional() {
        var c = customer(timezone: shanghai)
        for day in 13...17 { c.engagement.recordOpen(.email, at: at("2026-11-\(day)T20:05:00+08:00")) }
        let due = at("2026-11-20T23:00:00+08:00")
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24), transactional: true), customer: c, ledger: none,
            population: empty)
        #expect(d.sendAt == due)
    }

    @Test("the spring-forward gap hour is never a candidate")
    func dstGap() {
        let ny = Zone("America/New_York")!
        let cands = scheduler().candidates(due: at("2026-03-08T00:30:00-05:00"), within: .hours(4), zone: ny)
        #expect(cands.map { ny.fields($0.at).hour } == [0, 1, 3, 4, 5])
        #expect(
            cands.map(\.at) == [
                at("2026-03-08T00:30:00-05:00"), at("2026-03-08T01:00:00-05:00"),
                at("2026-03-08T03:00:00-04:00"),
                at("2026-03-08T04:00:00-04:00"), at("2026-03-08T05:00:00-04:00"),
            ])
    }

    @Test("after a DST gap that ends off the hour, the first instant after it is offered (Chatham, issue 16)")
    func dstGapOffTheHour() {
        // Chatham springs forward from 02:45 +12:45 to 03:45 +13:45; quiet hours end at 03:00, inside the gap.
        let due = at("2026-09-27T01:50:00+12:45")
        let d = scheduler(quiet: "23:00-03:00").decide(
            request(due: due, within: .hours(1)), customer: customer(timezone: "Pacific/Chatham"),
            ledger: none,
            population: empty)
        #expect(d.sendAt == at("2026-09-27T03:45:00+13:45"))
        let chatham = Zone("Pacific/Chatham")!
        #expect(
            scheduler().candidates(due: due, within: .hours(1), zone: chatham).map(\.at) == [
                due, at("2026-09-27T02:00:00+12:45"), at("2026-09-27T03:45:00+13:45"),
            ])
    }

    @Test("the repeated fall-back hour is taken once, at its first occurrence")
    func dstRepeat() {
        let ny = Zone("America/New_York")!
        let cands = scheduler().candidates(due: at("2026-11-01T00:30:00-04:00"), within: .hours(4), zone: ny)
        #expect(
            cands.map(\.at) == [
                at("2026-11-01T00:30:00-04:00"), at("2026-11-01T01:00:00-04:00"),
                at("2026-11-01T02:00:00-05:00"),
                at("2026-11-01T03:00:00-05:00"),
            ])
    }

    @Test("a customer who opens at 01:00 gets the first 01:00 on the fall-back night")
    func dstRepeatDecision() {
        var c = customer(timezone: "America/New_York")
        for day in 20...29 {
            c.engagement.recordOpen(
                .email, at: at("2026-10-\(day)T01:10:00-04:00"), in: Zone("America/New_York")!)
        }
        let d = scheduler().decide(
            request(due: at("2026-10-31T23:00:00-04:00"), within: .hours(6)), customer: c, ledger: none,
            population: empty)
        #expect(d.sendAt == at("2026-11-01T01:00:00-04:00"))
    }

    @Test("a customer who opens at 02:00 is not sent at a wall time that does not exist")
    func dstGapDecision() throws {
        var c = customer(timezone: "America/New_York")
        for day in 1...7 {
            c.engagement.recordOpen(
                .email, at: at("2026-03-0\(day)T02:10:00-05:00"), in: Zone("America/New_York")!)
        }
        let d = scheduler().decide(
            request(due: at("2026-03-08T00:00:00-05:00"), within: .hours(6)), customer: c, ledger: none,
            population: empty)
        let sent = try #require(d.sendAt)
        let hour = Zone("America/New_York")!.fields(sent).hour
        #expect(hour != 2)
        #expect(d.explanation.candidateCount == 7)  // 00-07 without 02
    }

    @Test("candidates stop a week after due even for longer windows")
    func horizon() {
        let cands = scheduler().candidates(due: at("2026-11-20T10:00:00Z"), within: .days(30), zone: .utc)
        #expect(cands.count == 24 * 7 + 2)
    }

    @Test("without urgency the most likely hour wins anywhere in the window; urgency makes waiting cost")
    func urgency() throws {
        var c = customer(timezone: shanghai)
        for day in 1...20 {
            for hour in [8, 9, 12, 15, 18, 20] {
                let t = at("2026-10-\(day < 10 ? "0" : "")\(day)T\(hour < 10 ? "0" : "")\(hour):00:00+08:00")
                c.engagement.recordSend(.email, at: t)
                if hour == 9 || (hour == 12 && day % 4 == 0) {
                    c.engagement.recordOpen(.email, at: t + .minutes(4))
                }
            }
        }
        let due = at("2026-11-20T12:00:00+08:00")
        let s = scheduler(quiet: "21:00-08:00", exploration: 0)
        // 09:00 is far better than noon: without urgency the message waits for 09:00 tomorrow.
        let patient = s.decide(
            request(due: due, within: .hours(24)), customer: c, ledger: none, population: empty)
        #expect(patient.sendAt == at("2026-11-21T09:00:00+08:00"))
        #expect(patient.explanation.urgencyFactor == nil)
        // Halving every 3 h, 21 h of waiting leaves 0.8 % of the value: it goes today.
        var r = request(due: due, within: .hours(24))
        r.urgency = .hours(3)
        let urgent = s.decide(r, customer: c, ledger: none, population: empty)
        let sent = try #require(urgent.sendAt)
        #expect(sent < at("2026-11-20T21:00:00+08:00"))
        let factor = try #require(urgent.explanation.urgencyFactor)
        #expect(abs(factor - pow(0.5, Double(sent.milliseconds - due.milliseconds) / 10_800_000)) < 1e-9)
        #expect(urgent.explanation.constraints.contains(.urgency))
        // A long urgency barely discounts a day: the better hour is still worth waiting for.
        r.urgency = .days(7)
        #expect(
            s.decide(r, customer: c, ledger: none, population: empty).sendAt
                == at("2026-11-21T09:00:00+08:00"))
    }

    @Test("one stray visit or one unopened message does not move a message to another day")
    func strayEvents() {
        let s = scheduler(quiet: "21:00-08:00")
        let due = at("2026-11-20T11:00:00+08:00")
        var visited = customer(timezone: shanghai)
        visited.engagement.recordActivity(at: at("2026-11-19T10:00:00+08:00"))
        #expect(
            s.decide(
                request(due: due, within: .hours(24)), customer: visited, ledger: none, population: empty
            ).sendAt == due)
        var ignored = customer(timezone: shanghai)
        ignored.engagement.recordSend(.email, at: at("2026-11-17T11:00:00+08:00"))
        #expect(
            s.decide(
                request(due: due, within: .hours(24)), customer: ignored, ledger: none, population: empty
            ).sendAt == due)
        var opened = customer(timezone: shanghai)
        opened.engagement.recordSend(.email, at: at("2026-11-17T10:00:00+08:00"))
        opened.engagement.recordOpen(.email, at: at("2026-11-17T10:05:00+08:00"))
        #expect(
            s.decide(request(due: due, within: .hours(24)), customer: opened, ledger: none, population: empty)
                .sendAt == due)
    }

    @Test(
        "unanswered sends from the second on move a message off their hour; a pending one is not a miss yet")
    func missesFromTheSecond() {
        let s = scheduler(quiet: "21:00-08:00")
        let due = at("2026-11-20T11:00:00+08:00")
        func decide(_ sends: [String]) -> Instant? {
            var c = customer(timezone: shanghai)
            for t in sends { c.engagement.recordSend(.email, at: at(t)) }
            return s.decide(
                request(due: due, within: .hours(24)), customer: c, ledger: none, population: empty
            )
            .sendAt
        }
        // Three emails at 11:00, none opened: 11:00 is not this customer's hour.
        let ignoredThrice = [
            "2026-11-05T11:00:00+08:00", "2026-11-10T11:00:00+08:00", "2026-11-14T11:00:00+08:00",
        ]
        let moved = decide(ignoredThrice)
        #expect(moved != nil && moved != due)
        // Two unanswered 11:00 emails already say as much; but when the second went out yesterday, its
        // answer may still come (the attribution window is three days): it is not a miss yet, and the first
        // miss alone moves nothing.
        let twice = decide(["2026-11-10T11:00:00+08:00", "2026-11-16T11:00:00+08:00"])
        #expect(twice != nil && twice != due)
        #expect(decide(["2026-11-10T11:00:00+08:00", "2026-11-19T11:00:00+08:00"]) == due)
    }
}
