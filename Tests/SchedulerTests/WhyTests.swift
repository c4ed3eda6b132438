import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Why a choice was made")
struct WhyTests {
    let shanghai = "Asia/Shanghai"
    let due = at("2026-11-20T10:00:00+08:00")

    /// A customer in Shanghai who opened email at `hour`:05 on each of the five days before `due`.
    func opener(at hour: Int, phone: String? = nil) -> Customer {
        var c = customer(phone: phone, timezone: shanghai)
        for day in 13...17 {
            let h = (hour < 10 ? "0" : "") + String(hour)
            c.engagement.recordOpen(.email, at: at("2026-11-\(day)T\(h):05:00+08:00"))
        }
        return c
    }

    func member(_ json: JSONValue, _ key: String) -> JSONValue? { json.objectValue?[key] }

    @Test("a delayed send reports each channel's odds at the chosen hour and at due, and rank 1")
    func oddsAndRank() throws {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(channels: [.email, .sms], due: due, within: .hours(24)),
            customer: opener(at: 20, phone: "+1"),
            ledger: SendLedger(), population: PopulationStats())
        #expect(localTime(d.sendAt, shanghai) == "20:00")
        let ex = d.explanation
        #expect(ex.odds.map(\.channel) == [.email, .sms])
        let email = try #require(ex.odds.first { $0.chosen })
        #expect(email.channel == d.channel)
        #expect((email.atChosen ?? 0) > 1.1 * email.atDue)
        #expect(ex.hourRank == 1)
        #expect(ex.allowedCount == 14)
        #expect(ex.constraints.isEmpty)
    }

    @Test("a better hour in quiet hours is reported as the quiet-hours constraint")
    func quietConstraint() {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24)), customer: opener(at: 22), ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.explanation.constraints.contains(.quietHours))
        #expect(!d.explanation.constraints.contains(.window))
    }

    @Test("a better hour beyond a short window is reported as the window constraint")
    func windowConstraint() {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(3)), customer: opener(at: 20), ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.sendAt != nil)
        #expect(d.explanation.constraints == [.window])
    }

    @Test("a better hour passed over because of the rule's urgency is reported, with the urgency factor")
    func urgencyConstraint() throws {
        // Emails sent at 09:00 were opened, those at other hours not; due 10:00, urgency 3 h.
        var c = customer(timezone: shanghai)
        for day in 1...12 {
            for hour in [8, 9, 13, 17, 20] {
                let t = due - .days(Int64(day)) + .hours(Int64(hour - 10))
                c.engagement.recordSend(.email, at: t)
                if hour == 9 { c.engagement.recordOpen(.email, at: t + .minutes(3)) }
            }
        }
        var r = request(due: due, within: .hours(24))
        r.urgency = .hours(3)
        let d = scheduler(quiet: "21:00-08:00").decide(
            r, customer: c, ledger: SendLedger(), population: PopulationStats())
        #expect(localTime(d.sendAt, shanghai) != "09:00")
        #expect(d.explanation.constraints.contains(.urgency))
        #expect((d.explanation.hourRank ?? 0) > 1)
        let why = d.explanation.whyJSON
        let urgency = try #require(member(why, "urgency")?.objectValue)
        #expect(urgency["half_life_hours"] == .number(3))
        let factor = try #require(urgency["factor"]?.numberValue)
        #expect(factor > 0 && factor <= 1)
        // Without urgency the same customer waits for 09:00 tomorrow, and the why has no urgency member.
        let patient = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24)), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(localTime(patient.sendAt, shanghai) == "09:00")
        #expect(member(patient.explanation.whyJSON, "urgency") == nil)
    }

    @Test("a window wholly in quiet hours reports quiet hours and no allowed hour")
    func allQuiet() {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: at("2026-11-20T22:00:00+08:00"), within: .hours(2)), customer: opener(at: 20),
            ledger: SendLedger(), population: PopulationStats())
        #expect(d.reason == .quietHours)
        #expect(d.explanation.constraints == [.quietHours])
        #expect(d.explanation.allowedCount == 0)
        let why = d.explanation.whyJSON
        #expect(member(why, "allowed_hours") == .number(0))
        #expect(member(why, "hour_rank") == nil)
        let channels = member(why, "channels")?.arrayValue ?? []
        #expect(channels.count == 1)
        #expect(channels.first?.objectValue?["at_chosen"] == nil)
    }

    @Test("a capped message reports the cap and its counts")
    func capConstraint() {
        var ledger = SendLedger()
        for i in 0..<3 {
            ledger.record(
                messageId: "old-\(i)", rule: "other", channel: .email, at: due - .days(Int64(i + 1)),
                transactional: false)
        }
        let d = scheduler(cap: FrequencyCap(max: 3, per: .days(7))).decide(
            request(due: due), customer: opener(at: 20), ledger: ledger, population: PopulationStats())
        #expect(d.reason == .frequencyCap)
        let why = d.explanation.whyJSON
        #expect(member(why, "constrained_by") == .array([.string("frequency-cap")]))
        #expect(member(why, "caps") == .object(["frequency": .number(3), "frequency_max": .number(3)]))
        #expect(member(why, "channels") == .array([]))
    }

    @Test("the why object carries rounded odds, rank, counts and constraints")
    func jsonShape() throws {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(channels: [.email, .sms], due: due, within: .hours(24), oncePer: .days(7)),
            customer: opener(at: 20, phone: "+1"), ledger: SendLedger(), population: PopulationStats())
        let why = d.explanation.whyJSON
        #expect(member(why, "hour_rank") == .number(1))
        #expect(member(why, "allowed_hours") == .number(14))
        #expect(member(why, "candidates") == .number(25))
        #expect(member(why, "quiet_removed") == .number(11))
        #expect(member(why, "constrained_by") == .array([]))
        #expect(member(why, "caps") == .object(["rule": .number(0)]))
        let channels = try #require(member(why, "channels")?.arrayValue)
        #expect(channels.count == 2)
        for c in channels {
            let p = try #require(c.objectValue?["at_chosen"]?.numberValue)
            #expect(p >= 0 && p <= 1)
            #expect((p * 10_000).rounded() == p * 10_000)
        }
        #expect(channels.first?.objectValue?["chosen"] == .bool(true))
        let exploration = try #require(member(why, "exploration")?.objectValue)
        #expect(exploration["explored"] == .bool(false))
        #expect(exploration["share"]?.numberValue.map { $0 >= 0 && $0 <= 0.25 } == true)
    }

    @Test("a transactional message's odds are at due, which is also the chosen time")
    func transactionalOdds() throws {
        let d = scheduler(quiet: "21:00-08:00").decide(
            request(due: due, within: .hours(24), transactional: true), customer: opener(at: 20),
            ledger: SendLedger(), population: PopulationStats())
        let odds = try #require(d.explanation.odds.first)
        #expect(odds.atChosen == odds.atDue)
        #expect(d.explanation.hourRank == nil)
    }
}
