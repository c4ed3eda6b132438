import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Status")
struct StatusTests {
    @Test("an empty store reports zeros for every outbox state", arguments: Backing.allCases)
    func empty(backing: Backing) async throws {
        try await backing.with { store in
            let status = try await store.status()
            #expect(status.outbox.count == OutboxState.allCases.count)
            #expect(status.outbox.values.allSatisfy { $0 == 0 })
            #expect(status.eventsApplied == 0)
            #expect(status.pendingTimers == nil)
            #expect(status.deadLetters.isEmpty)
        }
    }

    @Test(
        "status counts events, customers, seen ids, timers, outbox states and lists dead letters newest first",
        arguments: Backing.allCases)
    func counts(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(
                    customers: ["u1": blob("a"), "u2": blob("b")],
                    seenMessageIds: [SeenMessage(id: "e1", at: t(1))],
                    offsets: [
                        FileOffset(path: "b.jsonl", offset: 1, line: 1, inode: 1, size: 1),
                        FileOffset(path: "a.jsonl", offset: 1, line: 1, inode: 2, size: 1),
                    ],
                    quarantine: [
                        QuarantinedLine(path: "a.jsonl", line: 1, reason: "bad", raw: blob("x"), at: t(1))
                    ],
                    outbox: (1...6).map { row("m\($0)") }, eventsApplied: 42, pendingTimers: 7))
            _ = try await store.claimDue(now: t(1_000), limit: 4, leaseOwner: "d")
            try await store.recordOutcome(
                messageId: "m1", outcome: .dead(reason: "first", answer: nil), at: t(1_100))
            try await store.recordOutcome(
                messageId: "m2", outcome: .dead(reason: "second", answer: nil), at: t(1_200))
            try await store.recordOutcome(
                messageId: "m3", outcome: .delivered(providerId: nil, answer: nil), at: t(1_300))

            let status = try await store.status()
            #expect(status.eventsApplied == 42)
            #expect(status.customers == 2)
            #expect(status.seenMessages == 1)
            #expect(status.quarantined == 1)
            #expect(status.pendingTimers == 7)
            #expect(status.outbox[.pending] == 2)
            #expect(status.outbox[.sending] == 1)
            #expect(status.outbox[.dead] == 2)
            #expect(status.outbox[.delivered] == 1)
            #expect(status.deadLetters.map(\.reason) == ["second", "first"])
            #expect(status.offsets.map(\.path) == ["a.jsonl", "b.jsonl"])
            #expect(try await store.status(deadLetterLimit: 1).deadLetters.map(\.messageId) == ["m2"])
        }
    }
}
