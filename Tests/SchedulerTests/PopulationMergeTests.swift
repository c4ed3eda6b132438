import Foundation
import Testing
import TouchpointCore

@testable import Scheduler

/// Cluster mode's population statistics (SPEC §10): each node's counts are summed at merge points, and decisions
/// between two merge points read the merged sum, frozen.
@Suite("Population statistics across nodes")
struct PopulationMergeTests {
    /// Sends at 19:00 Shanghai and responses to some of them, as one node would count them.
    static func counts(sends: Int, responses: Int, channel: Channel = .sms) -> PopulationStats {
        var p = PopulationStats()
        let t = at("2026-11-20T19:00:00+08:00")
        let zone = Zone("Asia/Shanghai")!
        for i in 0..<sends {
            p.recordSend(channel, at: t, zone: zone)
            if i < responses { p.recordOpen(channel, at: t + .minutes(5), zone: zone, sentAt: t) }
        }
        p.recordActivity(at: t, zone: zone)
        return p
    }

    @Test(
        "the sum of two nodes' counts is the count of all their events, and subtracting one gives the other")
    func sumIsExact() {
        let a = Self.counts(sends: 7, responses: 3)
        let b = Self.counts(sends: 5, responses: 4)
        let all = Self.counts(sends: 12, responses: 7)
        let merged = a.adding(b)
        #expect(merged.sends(.sms) == all.sends(.sms))
        #expect(merged.responses(.sms) == all.responses(.sms))
        #expect(merged.openRate(.sms) == all.openRate(.sms))
        #expect(merged.sendSlots(.sms) == all.sendSlots(.sms).map { $0 })
        #expect(merged.activity.reduce(0, +) == 2)
        #expect(merged.adding(b, sign: -1) == a)
        #expect(PopulationStats().isEmpty)
        #expect(!a.isEmpty)
    }

    @Test("a frozen copy's decisions read the counts at the freeze while new counts accumulate underneath")
    func frozenReads() {
        var p = Self.counts(sends: 4, responses: 1).freezing()
        let rate = p.openRate(.sms)
        p.recordSend(.sms, at: at("2026-11-21T19:00:00+08:00"), zone: .utc)
        p.recordSend(.sms, at: at("2026-11-21T19:00:00+08:00"), zone: .utc)
        #expect(p.isFrozen)
        #expect(p.sends(.sms) == 4)
        #expect(p.openRate(.sms) == rate)
        #expect(p.live.sends(.sms) == 6)
        #expect(p.freezing().sends(.sms) == 6)
    }

    @Test("the frozen view is not stored: a round trip keeps the live counts only")
    func codableKeepsLiveCounts() throws {
        var p = Self.counts(sends: 2, responses: 1).freezing()
        p.recordSend(.email, at: at("2026-11-21T10:00:00Z"), zone: .utc)
        let back = try JSONDecoder().decode(PopulationStats.self, from: JSONEncoder().encode(p))
        #expect(!back.isFrozen)
        #expect(back == p.live)
        #expect(back.sends(.email) == 1)
    }
}
