import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Caps")
struct CapTests {
    let due = at("2026-11-20T10:00:00+08:00")
    let cap = FrequencyCap(max: 2, per: .days(7))

    func ledger(_ entries: [(String, String, Instant, Bool)]) -> SendLedger {
        var l = SendLedger()
        for (id, rule, t, tx) in entries {
            l.record(messageId: id, rule: rule, channel: .email, at: t, transactional: tx)
        }
        return l
    }

    @Test("a message of the same rule inside once-per is rule-limit")
    func ruleLimit() {
        let l = ledger([("old", "cart", due - .days(6), false)])
        let d = scheduler().decide(
            request(rule: "cart", due: due, oncePer: .days(7)), customer: customer(), ledger: l,
            population: PopulationStats())
        #expect(d.reason == .ruleLimit)
        #expect(d.explanation.ruleCount == 1)
    }

    @Test("once-per ignores messages older than the span and other rules")
    func ruleLimitOutside() {
        let l = ledger([("old", "cart", due - .days(7), false), ("x", "other", due - .hours(1), false)])
        let d = scheduler().decide(
            request(rule: "cart", due: due, oncePer: .days(7)), customer: customer(), ledger: l,
            population: PopulationStats())
        #expect(d.channel == .email)
        #expect(d.explanation.ruleCount == 0)
    }

    @Test("a message of the rule already scheduled in the future counts for once-per")
    func ruleLimitFuture() {
        let l = ledger([("later", "cart", due + .days(2), false)])
        let d = scheduler().decide(
            request(rule: "cart", due: due, oncePer: .days(7)), customer: customer(), ledger: l,
            population: PopulationStats())
        #expect(d.reason == .ruleLimit)
    }

    @Test("the message's own ledger entry never limits it")
    func ownEntry() {
        let l = ledger([("m1", "cart", due, false)])
        let d = scheduler(cap: FrequencyCap(max: 1, per: .days(7))).decide(
            request(id: "m1", rule: "cart", due: due, oncePer: .days(7)), customer: customer(), ledger: l,
            population: PopulationStats())
        #expect(d.channel == .email)
    }

    @Test("once-per applies to transactional messages too")
    func ruleLimitTransactional() {
        let l = ledger([("old", "receipt", due - .hours(1), true)])
        let d = scheduler().decide(
            request(rule: "receipt", due: due, transactional: true, oncePer: .days(1)), customer: customer(),
            ledger: l, population: PopulationStats())
        #expect(d.reason == .ruleLimit)
    }

    @Test("reaching the global cap is frequency-cap; one under it sends")
    func frequencyCap() {
        let one = ledger([("a", "x", due - .days(1), false)])
        let two = ledger([("a", "x", due - .days(1), false), ("b", "y", due + .hours(3), false)])
        let s = scheduler(cap: cap)
        let ok = s.decide(request(due: due), customer: customer(), ledger: one, population: PopulationStats())
        #expect(ok.channel == .email)
        let capped = s.decide(
            request(due: due), customer: customer(), ledger: two, population: PopulationStats())
        #expect(capped.reason == .frequencyCap)
        #expect(capped.explanation.capCount == 2)
    }

    @Test("the cap counts only the sliding span and only non-transactional messages")
    func capCounting() {
        let l = ledger([
            ("a", "x", due - .days(8), false), ("b", "y", due - .days(1), true),
            ("c", "z", due - .days(2), true),
            ("d", "w", due - .days(1), false),
        ])
        let d = scheduler(cap: cap).decide(
            request(due: due), customer: customer(), ledger: l, population: PopulationStats())
        #expect(d.channel == .email)
        #expect(d.explanation.capCount == 1)
    }

    @Test("transactional messages are exempt from the frequency cap")
    func capTransactional() {
        let l = ledger([("a", "x", due - .days(1), false), ("b", "y", due - .days(2), false)])
        let d = scheduler(cap: cap).decide(
            request(due: due, transactional: true), customer: customer(), ledger: l,
            population: PopulationStats())
        #expect(d.channel == .email)
        #expect(d.explanation.capCount == nil)
    }

    @Test("removing a cancelled message frees its place under the cap")
    func removeFrees() {
        var l = ledger([("a", "x", due - .days(1), false), ("b", "y", due + .hours(2), false)])
        let s = scheduler(cap: cap)
        #expect(
            s.decide(request(due: due), customer: customer(), ledger: l, population: PopulationStats()).reason
                == .frequencyCap)
        let removed = l.remove(messageId: "b")
        #expect(removed?.rule == "y")
        #expect(l.remove(messageId: "b") == nil)
        #expect(
            s.decide(request(due: due), customer: customer(), ledger: l, population: PopulationStats())
                .channel
                == .email)
    }

    @Test("reachability is checked before caps")
    func order() {
        let l = ledger([("a", "r", due - .hours(1), false)])
        let d = scheduler().decide(
            request(rule: "r", due: due, oncePer: .days(1)), customer: customer(email: nil), ledger: l,
            population: PopulationStats())
        #expect(d.reason == .noReachableChannel)
    }

    @Test("recording a message id again replaces the entry; prune drops old entries")
    func ledgerBookkeeping() {
        var l = SendLedger()
        l.record(messageId: "a", rule: "r", channel: .email, at: due, transactional: false)
        l.record(messageId: "a", rule: "r", channel: .sms, at: due + .hours(1), transactional: false)
        #expect(l.entries.count == 1)
        #expect(l.entries.first?.channel == .sms)
        l.record(messageId: "b", rule: "r", channel: .sms, at: due - .days(10), transactional: false)
        l.prune(before: due - .days(1))
        #expect(l.entries.map(\.messageId) == ["a"])
    }
}
