import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Batch commit")
struct CommitTests {
    @Test(
        "a batch's customers, globals, offsets and counters all become visible", arguments: Backing.allCases)
    func commitsEverything(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(
                    customers: ["u1": blob("a"), "u2": blob("b")], globals: ["population": blob("p")],
                    seenMessageIds: [SeenMessage(id: "e1", at: t(1))],
                    offsets: [FileOffset(path: "events/a.jsonl", offset: 120, line: 3, inode: 77, size: 120)],
                    eventsApplied: 3, pendingTimers: 5))
            let state = try await store.load()
            #expect(state.customers == ["u1": blob("a"), "u2": blob("b")])
            #expect(state.globals == ["population": blob("p")])
            #expect(
                state.offsets["events/a.jsonl"]
                    == FileOffset(path: "events/a.jsonl", offset: 120, line: 3, inode: 77, size: 120))
            #expect(state.seenCount == 1)
            #expect(state.eventsApplied == 3)
            #expect(state.pendingTimers == 5)
        }
    }

    @Test(
        "a failing row mid-batch rolls back the whole batch and leaves earlier commits intact",
        arguments: Backing.allCases)
    func atomic(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(
                    customers: ["u1": blob("v1")],
                    offsets: [FileOffset(path: "a.jsonl", offset: 10, line: 1, inode: 1, size: 10)],
                    eventsApplied: 1,
                    pendingTimers: 1))
            var bad = Batch(
                customers: ["u1": blob("v2"), "u2": blob("new")], removedCustomers: [],
                globals: ["engine": blob("g")],
                seenMessageIds: [SeenMessage(id: "e2", at: t(2))],
                offsets: [FileOffset(path: "a.jsonl", offset: 99, line: 9, inode: 1, size: 99)],
                quarantine: [
                    QuarantinedLine(path: "a.jsonl", line: 4, reason: "not JSON", raw: blob("{"), at: t(2))
                ],
                // The empty id violates a CHECK after everything above was written.
                outbox: [row("m1"), row("")],
                dropped: [
                    DroppedMessage(messageId: "d1", rule: "r", customer: "u1", reason: .quietHours, at: t(2))
                ],
                eventsApplied: 5, pendingTimers: 9)
            await #expect(throws: (any Error).self) { try await store.commit(bad) }

            let state = try await store.load()
            #expect(state.customers == ["u1": blob("v1")])
            #expect(state.globals.isEmpty)
            #expect(state.offsets["a.jsonl"]?.offset == 10)
            #expect(state.seenCount == 0)
            #expect(state.eventsApplied == 1)
            #expect(state.pendingTimers == 1)
            #expect(try await store.outboxRow(messageId: "m1") == nil)
            let status = try await store.status()
            #expect(status.quarantined == 0)
            #expect(status.dropped == 0)

            // The same batch without the bad row goes through: the store was not left in a broken transaction.
            bad.outbox = [row("m1")]
            try await store.commit(bad)
            #expect(try await store.load().customers == ["u1": blob("v2"), "u2": blob("new")])
        }
    }

    @Test(
        "offsets are upserted by path, and UInt64 positions above Int64.max survive",
        arguments: Backing.allCases)
    func offsetsUpsert(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(offsets: [FileOffset(path: "a", offset: 1, line: 1, inode: 5, size: 1)]))
            try await store.commit(
                Batch(offsets: [
                    FileOffset(path: "a", offset: 50, line: 7, inode: UInt64.max, size: UInt64.max - 1),
                    FileOffset(path: "b", offset: 0, line: 0, inode: 6, size: 0),
                ]))
            let offsets = try await store.load().offsets
            #expect(offsets.count == 2)
            #expect(
                offsets["a"]
                    == FileOffset(path: "a", offset: 50, line: 7, inode: UInt64.max, size: UInt64.max - 1))
            #expect(offsets["b"]?.line == 0)
        }
    }

    @Test(
        "seen message ids are idempotent and can be looked up in bulk, beyond one statement's parameter chunk",
        arguments: Backing.allCases)
    func seenIds(backing: Backing) async throws {
        try await backing.with { store in
            let first = try await store.commit(
                Batch(seenMessageIds: [SeenMessage(id: "e1", at: t(1)), SeenMessage(id: "e2", at: t(1))]))
            #expect(first.seenInserted == 2)
            let again = try await store.commit(
                Batch(seenMessageIds: [SeenMessage(id: "e2", at: t(9)), SeenMessage(id: "e3", at: t(9))]))
            #expect(again.seenInserted == 1)
            #expect(try await store.load().seenCount == 3)
            #expect(try await store.hasSeen(["e0", "e1", "e3", "e4"]) == ["e1", "e3"])
            #expect(try await store.hasSeen([]) == [])

            let many = (0..<1_234).map { SeenMessage(id: "bulk-\($0)", at: t(2)) }
            try await store.commit(Batch(seenMessageIds: many))
            let query = (0..<1_300).map { "bulk-\($0)" }
            let found = try await store.hasSeen(query)
            #expect(found.count == 1_234)
            #expect(!found.contains("bulk-1234"))
        }
    }

    @Test(
        "customer blobs are replaced on upsert and removed on request; globals are upserted by key",
        arguments: Backing.allCases)
    func customersAndGlobals(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(
                Batch(customers: ["u1": blob("1"), "u2": blob("2")], globals: ["k": blob("x")]))
            try await store.commit(
                Batch(
                    customers: ["u1": blob("1b")], removedCustomers: ["u2", "never-existed"],
                    globals: ["k": blob("y")]))
            let state = try await store.load()
            #expect(state.customers == ["u1": blob("1b")])
            #expect(state.globals == ["k": blob("y")])
        }
    }

    @Test("empty blobs and binary bytes round-trip exactly", arguments: Backing.allCases)
    func binaryBlobs(backing: Backing) async throws {
        try await backing.with { store in
            let bytes = Data((0...255).map { UInt8($0) })
            try await store.commit(Batch(customers: ["u1": Data(), "u2": bytes]))
            let state = try await store.load()
            #expect(state.customers["u1"] == Data())
            #expect(state.customers["u2"] == bytes)
        }
    }

    @Test("the events-applied counter accumulates across batches", arguments: Backing.allCases)
    func counter(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(Batch(eventsApplied: 10))
            try await store.commit(Batch(eventsApplied: 0))
            try await store.commit(Batch(eventsApplied: 7, pendingTimers: 3))
            try await store.commit(Batch(eventsApplied: 1))
            let state = try await store.load()
            #expect(state.eventsApplied == 18)
            #expect(state.pendingTimers == 3)
        }
    }

    @Test("quarantined lines keep their exact bytes and come back newest first", arguments: Backing.allCases)
    func quarantine(backing: Backing) async throws {
        try await backing.with { store in
            let invalidUTF8 = Data([0x7B, 0xFF, 0xFE])
            try await store.commit(
                Batch(quarantine: [
                    QuarantinedLine(path: "a.jsonl", line: 2, reason: "not JSON", raw: invalidUTF8, at: t(1)),
                    QuarantinedLine(
                        path: "a.jsonl", line: 5, reason: "missing type", raw: blob("{}"), at: t(2)),
                ]))
            let lines = try await store.quarantined(limit: 10)
            #expect(lines.map(\.line) == [5, 2])
            #expect(lines[1].raw == invalidUTF8)
            #expect(lines[1].reason == "not JSON")
            #expect(try await store.quarantined(limit: 1).count == 1)
            #expect(try await store.status().quarantined == 2)
        }
    }

    @Test("dropped decisions are recorded once per message id", arguments: Backing.allCases)
    func droppedOnce(backing: Backing) async throws {
        try await backing.with { store in
            let drop = DroppedMessage(
                messageId: "m1", rule: "winback", customer: "u1", reason: .windowExpired,
                detail: "late by 3h",
                at: t(1))
            let first = try await store.commit(Batch(dropped: [drop]))
            let again = try await store.commit(Batch(dropped: [drop]))
            #expect(first.droppedInserted == 1)
            #expect(again.droppedInserted == 0)
            #expect(try await store.status().dropped == 1)
        }
    }
}
