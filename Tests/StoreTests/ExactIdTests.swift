import Foundation
import Store
import Testing
import TouchpointCore

/// Issue 12 #2: SQLite cut ids at a NUL (GRDB binds and reads `String` as C strings), so
/// `victim\u{0}x` overwrote `victim`'s row and `order\u{0}-1` / `order\u{0}-2` were one seen message.
@Suite("Ids are stored exactly, NUL and all")
struct ExactIdTests {
    @Test(
        "customers whose ids differ only after a NUL keep separate rows, across a reopen",
        arguments: Backing.allCases)
    func customersAreExact(backing: Backing) async throws {
        try await backing.with { store in
            try await store.commit(Batch(customers: ["victim": blob("victim's state")]))
            try await store.commit(Batch(customers: ["victim\u{0}x": blob("attacker's state")]))
            let state = try await store.load()
            #expect(state.customers["victim"] == blob("victim's state"))
            #expect(state.customers["victim\u{0}x"] == blob("attacker's state"))
            #expect(state.customers.count == 2)
            try await store.commit(Batch(removedCustomers: ["victim\u{0}x"]))
            #expect(try await store.load().customers == ["victim": blob("victim's state")])
        }
    }

    @Test("seen message ids that differ only after a NUL are two ids", arguments: Backing.allCases)
    func seenMessagesAreExact(backing: Backing) async throws {
        try await backing.with { store in
            let report = try await store.commit(
                Batch(seenMessageIds: [
                    SeenMessage(id: "order\u{0}-1", at: t(1)), SeenMessage(id: "order\u{0}-2", at: t(1)),
                ]))
            #expect(report.seenInserted == 2)
            #expect(try await store.hasSeen(["order", "order\u{0}-1", "order\u{0}-3"]) == ["order\u{0}-1"])
            #expect(try await store.load().seenCount == 2)
        }
    }

    @Test("the bytes SQLite holds are the id's bytes, read without GRDB (Python's sqlite3)")
    func bytesOnDisk() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.database)
        try await store.commit(
            Batch(customers: ["a\u{0}b": blob("s")], seenMessageIds: [SeenMessage(id: "m\u{0}1", at: t(1))]))
        let python = try #require(
            ["/usr/bin/python3", "/usr/local/bin/python3"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [
            "-c",
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for table in ("customers", "seen_messages"):
                for (h, t) in db.execute("SELECT hex(CAST(id AS BLOB)), typeof(id) FROM " + table):
                    print(table, h, t)
            """,
            dir.database,
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == ["customers 610062 text", "seen_messages 6D0031 text"])
    }
}
