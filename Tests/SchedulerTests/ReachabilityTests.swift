import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Reachable channels")
struct ReachabilityTests {
    let due = at("2026-11-20T10:00:00+08:00")

    @Test("no address on any candidate is no-reachable-channel")
    func noAddress() {
        let c = customer(email: nil, phone: "+8613800000000")
        let d = scheduler().decide(
            request(channels: [.email, .chat], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.reason == .noReachableChannel)
        #expect(d.explanation.rejected.map(\.why) == ["no address", "no address"])
    }

    @Test("an empty string is not an address")
    func emptyAddress() {
        let d = scheduler().decide(
            request(due: due), customer: customer(email: ""), ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.reason == .noReachableChannel)
    }

    @Test("every addressed candidate opted out is unsubscribed")
    func channelOptOut() {
        var c = customer(email: "a@example.com", phone: nil)
        c.optedOut = [.email]
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.reason == .unsubscribed)
    }

    @Test("an opt-out on one channel leaves the others")
    func otherChannelStays() {
        var c = customer(email: "a@example.com", phone: "+1555")
        c.optedOut = [.email]
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.channel == .sms)
        #expect(d.explanation.reachable == [.sms])
    }

    @Test("unsubscribed from all stops non-transactional messages")
    func optedOutAll() {
        var c = customer(email: "a@example.com", phone: "+1555")
        c.optedOutAll = true
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.reason == .unsubscribed)
    }

    @Test("transactional messages ignore opt-outs but still need an address")
    func transactionalIgnoresOptOuts() {
        var c = customer(email: "a@example.com")
        c.optedOutAll = true
        c.optedOut = [.email]
        let s = scheduler()
        let sent = s.decide(
            request(channels: [.email], due: due, transactional: true), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(sent.channel == .email)
        #expect(sent.sendAt == due)
        let noAddress = s.decide(
            request(channels: [.sms], due: due, transactional: true), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(noAddress.reason == .noReachableChannel)
    }

    @Test("a numeric chat id counts as an address")
    func numericChat() {
        let c = Customer(id: "u", traits: ["chat_id": .number(42)])
        let d = scheduler().decide(
            request(channels: [.email, .chat], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.channel == .chat)
    }

    @Test("a channel listed twice is considered once")
    func duplicates() {
        let d = scheduler().decide(
            request(channels: [.email, .email], due: due), customer: customer(), ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.explanation.reachable == [.email])
        #expect(d.explanation.channels.count == 1)
    }
}

@Suite("Bounced addresses")
struct BouncedReachabilityTests {
    let due = at("2026-11-20T10:00:00+08:00")

    @Test("a blocked address is out even for transactional messages: reason bounced")
    func bouncedIsOutForTransactional() {
        var c = customer(email: "a@example.com")
        c.blockedAddresses[.email] = ["a@example.com"]
        for transactional in [false, true] {
            let d = scheduler().decide(
                request(channels: [.email], due: due, transactional: transactional), customer: c,
                ledger: SendLedger(), population: PopulationStats())
            #expect(d.reason == .bounced)
            #expect(d.explanation.rejected.map(\.why) == ["address bounced"])
        }
    }

    @Test("another channel still goes; with an opt-out among the rejections the reason is unsubscribed")
    func otherChannel() {
        var c = customer(email: "a@example.com", phone: "+1555")
        c.blockedAddresses[.email] = ["a@example.com"]
        let d = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(d.channel == .sms)
        c.optedOut = [.sms]
        let e = scheduler().decide(
            request(channels: [.email, .sms], due: due), customer: c, ledger: SendLedger(),
            population: PopulationStats())
        #expect(e.reason == .unsubscribed)
    }
}
