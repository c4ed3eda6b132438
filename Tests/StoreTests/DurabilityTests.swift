import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Durability across reopen")
struct DurabilityTests {
    /// Writes a little of everything.
    static func fill(_ store: any StateStore) async throws {
        try await store.commit(
            Batch(
                customers: ["u1": blob("state-1")], globals: ["engine": blob("g")],
                seenMessageIds: [SeenMessage(id: "e1", at: t(1))],
                offsets: [FileOffset(path: "a.jsonl", offset: 64, line: 2, inode: 9, size: 64)],
                outbox: [row("m1"), row("m2", kind: "smtp")], eventsApplied: 2, pendingTimers: 1))
        _ = try await store.claimDue(now: t(1_000), limit: 10, leaseOwner: "d")
        try await store.recordOutcome(
            messageId: "m1", outcome: .delivered(providerId: "p", answer: "200"), at: t(1_001))
    }

    static func check(_ store: any StateStore) async throws {
        let state = try await store.load()
        #expect(state.customers == ["u1": blob("state-1")])
        #expect(state.globals == ["engine": blob("g")])
        #expect(state.offsets["a.jsonl"]?.offset == 64)
        #expect(state.eventsApplied == 2)
        #expect(try await store.hasSeen(["e1"]) == ["e1"])
        #expect(try await store.outboxRow(messageId: "m1")?.state == .delivered)
        #expect(try await store.outboxRow(messageId: "m2")?.state == .sending)
        #expect(try await store.attempts(messageId: "m2").first?.finishedAt == nil)
    }

    @Test(
        "a store opened after the first one is released finds everything, including a row caught mid-send",
        arguments: Backing.durable)
    func reopenAfterRelease(backing: Backing) async throws {
        try await backing.reopening { open in
            try await Self.fill(try await open())
            let reopened = try await open()
            try await Self.check(reopened)
            let report = try await reopened.recoverInFlight(resendable: ["webhook"], at: t(5_000))
            #expect(report.unknown == ["m2"])
        }
    }

    @Test("a SQLite store written with synchronous NORMAL reads back the same after a reopen")
    func reopenAfterNormalDurability() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        do {
            let store = try SQLiteStore(path: dir.database, durability: .normal)
            try await Self.fill(store)
        }
        try await Self.check(try SQLiteStore(path: dir.database))
    }

    @Test(
        "a second store on the same file sees every commit while the first was never closed or checkpointed")
    func openWhileFirstStillOpen() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let crashed = try SQLiteStore(path: dir.database)
        try await Self.fill(crashed)
        // The WAL still holds the commits: the second connection must read them from it, as after a kill -9.
        #expect(FileManager.default.fileExists(atPath: dir.database + "-wal"))
        let survivor = try SQLiteStore(path: dir.database)
        try await Self.check(survivor)
        try await survivor.commit(Batch(eventsApplied: 1))
        #expect(try await crashed.load().eventsApplied == 3)
    }
}
