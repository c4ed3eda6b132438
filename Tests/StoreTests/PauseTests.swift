import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Paused rules in the store")
struct PauseTests {
    @Test(
        "a paused rule's rows are not claimed and do not wake the dispatcher; resume makes them claimable, --all too",
        arguments: Backing.allCases)
    func pauseAndResume(backing: Backing) async throws {
        try await backing.with { store in
            let pauses = try #require(store as? any PausedRules)
            var a = row("a", sendAt: 1_000)
            a.rule = "news"
            var b = row("b", sendAt: 2_000)
            b.rule = "receipt"
            var c = row("c", sendAt: 3_000)
            c.rule = "news"
            c.expiresAt = t(5_000)
            try await store.commit(Batch(outbox: [a, b, c]))
            #expect(try await pauses.pause(rule: "news", at: t(500)))
            #expect(try await pauses.pause(rule: "news", at: t(600)) == false)
            #expect(try await pauses.paused() == [PausedRule(rule: "news", since: t(500))])
            #expect(try await pauses.waitingWhilePaused() == ["news": 2])
            #expect(try await store.nextDueAt() == t(2_000))
            #expect(
                try await store.claimDue(now: t(10_000), limit: 10, leaseOwner: "d").map(\.messageId) == ["b"]
            )
            #expect(try await store.nextDueAt() == nil)

            #expect(try await pauses.pause(rule: PausedRule.all, at: t(700)))
            #expect(try await pauses.resume(rule: "news"))
            #expect(
                try await store.claimDue(now: t(10_000), limit: 10, leaseOwner: "d").isEmpty,
                "--all still holds")
            #expect(try await pauses.waitingWhilePaused() == [PausedRule.all: 2])
            #expect(try await pauses.resume(rule: PausedRule.all))
            #expect(try await pauses.resume(rule: PausedRule.all) == false)
            // Resumed past its window, c is dropped window-expired at the claim; a goes out.
            let cycle = try await store.settleAndClaim(
                [], now: t(10_000), limit: 10, leaseOwner: "d", excludingChannels: [])
            #expect(cycle.claimed.map(\.messageId) == ["a"])
            #expect(cycle.expired == ["c"])
            #expect(try await store.outboxRow(messageId: "c")?.reason == "window-expired")
        }
    }
}
