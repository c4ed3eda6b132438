import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Group commit: settleAndClaim")
struct GroupCommitTests {
    static func delivered(_ id: String, at ms: Int64) -> SettledAttempt {
        SettledAttempt(messageId: id, outcome: .delivered(providerId: nil, answer: "204"), at: t(ms))
    }

    @Test(
        "the outcomes of many sends and the next claim are committed by one call", arguments: Backing.allCases
    )
    func settlesAndClaimsTogether(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(outbox: [
                    row("a"), row("b"), row("c", sendAt: 1_100), row("d", sendAt: 1_200),
                    row("later", sendAt: 9_000),
                ]))
            let first = try await store.claimDue(now: t(2_000), limit: 2, leaseOwner: "d")
            #expect(first.map(\.messageId) == ["a", "b"])

            let cycle = try await store.settleAndClaim(
                [
                    Self.delivered("a", at: 2_010),
                    SettledAttempt(
                        messageId: "b", outcome: .retry(at: t(5_000), answer: "503"), at: t(2_011)),
                ], now: t(2_020), limit: 10, leaseOwner: "d", excludingChannels: [])
            #expect(cycle.refused.isEmpty)
            // "later" is not due; "b" went to retry at 5 000 and is not due either.
            #expect(cycle.claimed.map(\.messageId) == ["c", "d"])
            #expect(cycle.claimed.allSatisfy { $0.state == .sending && $0.attempts == 1 })

            #expect(try await store.outboxRow(messageId: "a")?.state == .delivered)
            let b = try #require(try await store.outboxRow(messageId: "b"))
            #expect(b.state == .retry)
            #expect(b.nextAttemptAt == t(5_000))
            #expect(try await store.attempts(messageId: "a").map(\.outcome) == ["delivered"])
            #expect(try await store.attempts(messageId: "b").map(\.finishedAt) == [t(2_011)])
            // The claimed rows' attempts are open: committed before anything could be sent.
            #expect(
                try await store.attempts(messageId: "c")
                    == [AttemptRecord(messageId: "c", attempt: 1, leaseOwner: "d", startedAt: t(2_020))])
            let status = try await store.status()
            #expect(status.outbox[.sending] == 2)
            #expect(status.outbox[.pending] == 1)
        }
    }

    @Test("an outcome the store refuses is reported and the others in the batch are still recorded")
    func refusalDoesNotBlockTheBatch() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1"), row("m2"), row("idle", sendAt: 9_000)]))
        _ = try await store.claimDue(now: t(1_000), limit: 2, leaseOwner: "d")
        let cycle = try await store.settleAndClaim(
            [
                Self.delivered("m1", at: 1_001),
                Self.delivered("ghost", at: 1_002),
                Self.delivered("idle", at: 1_003),
                SettledAttempt(
                    messageId: "m2", outcome: .dead(reason: "permanent failure", answer: "400"), at: t(1_004)),
                // The same message twice in one batch: the second finds it no longer in flight.
                Self.delivered("m1", at: 1_005),
            ], now: t(1_010), limit: 0, leaseOwner: "d", excludingChannels: [])
        #expect(
            cycle.refused == [
                .unknownMessage("ghost"), .notInFlight(messageId: "idle", state: .pending),
                .notInFlight(messageId: "m1", state: .delivered),
            ])
        #expect(cycle.claimed.isEmpty)
        #expect(try await store.outboxRow(messageId: "m1")?.state == .delivered)
        #expect(try await store.outboxRow(messageId: "m1")?.updatedAt == t(1_001))
        #expect(try await store.outboxRow(messageId: "m2")?.state == .dead)
        #expect(try await store.outboxRow(messageId: "idle")?.state == .pending)
        #expect(try await store.attempts(messageId: "idle").isEmpty)
    }

    @Test("a dropped outcome in a batch records the dropped-message entry too")
    func droppedInBatch() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1")]))
        _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
        _ = try await store.settleAndClaim(
            [
                SettledAttempt(
                    messageId: "m1", outcome: .dropped(reason: "window-expired", detail: "2h late"),
                    at: t(1_001))
            ],
            now: t(1_001), limit: 5, leaseOwner: "d", excludingChannels: [])
        let status = try await store.status()
        #expect(status.outbox[.dropped] == 1)
        #expect(status.dropped == 1)
        #expect(try await store.attempts(messageId: "m1").map(\.answer) == ["2h late"])
    }

    @Test("with nothing to settle and no slot free it does nothing")
    func emptyCycle() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1")]))
        let cycle = try await store.settleAndClaim(
            [], now: t(5_000), limit: 0, leaseOwner: "d", excludingChannels: [])
        #expect(cycle == ClaimCycle())
        #expect(try await store.outboxRow(messageId: "m1")?.state == .pending)
    }

    @Test("the claim of a cycle leaves out saturated channels")
    func claimExcludesChannels() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(
            Batch(outbox: [
                row("hook", sendAt: 1_000), row("mail", sendAt: 1_001, kind: "smtp", channel: "email"),
            ]))
        let cycle = try await store.settleAndClaim(
            [], now: t(2_000), limit: 5, leaseOwner: "d", excludingChannels: ["chat"])
        #expect(cycle.claimed.map(\.messageId) == ["mail"])
        #expect(try await store.outboxRow(messageId: "hook")?.state == .pending)
    }

    @Test(
        "leaving out a channel with a long backlog still claims the other channels' rows, merged in due order"
    )
    func excludedBacklogDoesNotHideOthers() async throws {
        let store = try SQLiteStore.inMemory()
        var rows = (0..<500).map { i in row(String(format: "chat-%03d", i), sendAt: 1_000 + Int64(i)) }
        rows += [
            row("sms-b", sendAt: 1_300, kind: "twilio", channel: "sms"),
            row("sms-a", sendAt: 1_300, kind: "twilio", channel: "sms"),
            row("mail-1", sendAt: 1_100, kind: "smtp", channel: "email"),
            row("mail-2", sendAt: 1_200, kind: "smtp", channel: "email"),
            row("mail-late", sendAt: 9_000, kind: "smtp", channel: "email"),
        ]
        try await store.commit(Batch(outbox: rows))
        let cycle = try await store.settleAndClaim(
            [], now: t(2_000), limit: 3, leaseOwner: "d", excludingChannels: ["chat"])
        #expect(cycle.claimed.map(\.messageId) == ["mail-1", "mail-2", "sms-a"])
        let rest = try await store.settleAndClaim(
            [], now: t(2_000), limit: 10, leaseOwner: "d", excludingChannels: ["chat", "email"])
        #expect(rest.claimed.map(\.messageId) == ["sms-b"])
        #expect(try await store.status().outbox[.pending] == 501)
    }

    @Test("from a cancelled task the outcomes are still recorded but nothing is claimed")
    func cancelledCycleSettlesWithoutClaiming() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1"), row("m2")]))
        _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
        let result = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.settleAndClaim(
                [Self.delivered("m1", at: 1_001)], now: t(1_002), limit: 5, leaseOwner: "d",
                excludingChannels: [])
        }.result
        let cycle = try result.get()
        #expect(cycle.claimed.isEmpty)
        #expect(try await store.outboxRow(messageId: "m1")?.state == .delivered)
        #expect(try await store.outboxRow(messageId: "m2")?.state == .pending)
        #expect(try await store.attempts(messageId: "m2").isEmpty)
    }

    @Test("a crash after a cycle's claim and before its outcomes are committed recovers every claimed row")
    func crashBetweenClaimAndOutcome() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        do {
            let store = try SQLiteStore(path: dir.database)
            try await store.commit(
                Batch(outbox: [
                    row("h1"), row("h2"), row("m1", kind: "smtp", channel: "email"), row("done"),
                ]))
            _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")  // "done"
            // This cycle records "done" and claims the other three; their outcomes never reach the store.
            let cycle = try await store.settleAndClaim(
                [Self.delivered("done", at: 1_010)], now: t(1_020), limit: 10, leaseOwner: "d",
                excludingChannels: [])
            #expect(Set(cycle.claimed.map(\.messageId)) == ["h1", "h2", "m1"])
        }
        // A new process opens the same file.
        let reopened = try SQLiteStore(path: dir.database)
        let report = try await reopened.recoverInFlight(resendable: ["webhook"], at: t(3_000))
        #expect(report.requeued == ["h1", "h2"])
        #expect(report.unknown == ["m1"])
        #expect(try await reopened.outboxRow(messageId: "done")?.state == .delivered)
        #expect(try await reopened.attempts(messageId: "h1").map(\.outcome) == [AttemptRecord.interrupted])
        // An outcome that arrives after recovery (a stale one) is refused, not applied.
        let late = try await reopened.settleAndClaim(
            [Self.delivered("m1", at: 3_001)], now: t(3_001), limit: 0, leaseOwner: "d", excludingChannels: []
        )
        #expect(late.refused == [.notInFlight(messageId: "m1", state: .unknown)])
        // The re-queued rows are claimed again with the same id and bytes, as attempt 2.
        let again = try await reopened.settleAndClaim(
            [], now: t(3_002), limit: 10, leaseOwner: "d2", excludingChannels: [])
        #expect(again.claimed.map(\.messageId) == ["h1", "h2"])
        #expect(again.claimed.map(\.attempts) == [2, 2])
        #expect(again.claimed.first?.prepared == blob("payload of h1"))
    }

    @Test("claims stay in due order through a large backlog with settled rows among the claimable ones")
    func claimOrderThroughLargeBacklog() async throws {
        let store = try SQLiteStore.inMemory()
        let rows = (0..<2_000).map { i in row(String(format: "m%04d", i), sendAt: 1_000 + Int64(i % 500)) }
        try await store.commit(Batch(outbox: rows))
        var claimedOrder: [OutboxRow] = []
        var settled: [SettledAttempt] = []
        while true {
            let cycle = try await store.settleAndClaim(
                settled, now: t(10_000), limit: 64, leaseOwner: "d", excludingChannels: [])
            settled = cycle.claimed.map { Self.delivered($0.messageId, at: 10_001) }
            claimedOrder += cycle.claimed
            if cycle.claimed.isEmpty { break }
        }
        #expect(claimedOrder.count == 2_000)
        let keys = claimedOrder.map { ($0.nextAttemptAt.milliseconds, $0.messageId) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try await store.status().outbox[.delivered] == 2_000)
        #expect(try await store.nextDueAt() == nil)
    }
}
