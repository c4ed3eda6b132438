import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Cancellation")
struct CancellationTests {
    @Test(
        "a commit or an outcome from a cancelled task is still recorded, so a shutdown never loses one",
        arguments: Backing.allCases)
    func recordingWritesFinish(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(Batch(outbox: [row("m1")]))
            _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
            let result = await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await store.commit(Batch(eventsApplied: 1))
                try await store.recordOutcome(
                    messageId: "m1", outcome: .delivered(providerId: nil, answer: nil), at: t(2))
            }.result
            #expect(throws: Never.self) { try result.get() }
            #expect(try await store.load().eventsApplied == 1)
            #expect(try await store.outboxRow(messageId: "m1")?.state == .delivered)
        }
    }

    @Test("a claim from a cancelled task throws and leaves the rows claimable", arguments: Backing.allCases)
    func claimHonoursCancellation(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(Batch(outbox: [row("m1")]))
            let result = await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
            }.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(try await store.outboxRow(messageId: "m1")?.state == .pending)
            #expect(try await store.attempts(messageId: "m1").isEmpty)
        }
    }
}
