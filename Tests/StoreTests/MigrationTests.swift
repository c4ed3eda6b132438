import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Schema migrations")
struct MigrationTests {
    @Test("a fresh file gets every migration, and opening it again re-applies nothing and keeps the data")
    func freshThenReopen() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        do {
            let store = try SQLiteStore(path: dir.database)
            #expect(
                try await store.appliedMigrations() == [
                    "v1", "v2", "file-identity", "outbox-expiry", "paused-rules",
                ])
            try await store.commit(Batch(customers: ["u1": blob("state")], eventsApplied: 1))
        }
        #expect(FileManager.default.fileExists(atPath: dir.database))
        let reopened = try SQLiteStore(path: dir.database)
        #expect(
            try await reopened.appliedMigrations() == [
                "v1", "v2", "file-identity", "outbox-expiry", "paused-rules",
            ])
        let state = try await reopened.load()
        #expect(state.customers == ["u1": blob("state")])
        #expect(state.eventsApplied == 1)
    }

    @Test("an in-memory store is migrated and empty")
    func inMemoryIsEmpty() async throws {
        let store = try SQLiteStore.inMemory()
        #expect(
            try await store.appliedMigrations() == [
                "v1", "v2", "file-identity", "outbox-expiry", "paused-rules",
            ])
        #expect(try await store.load() == StoredState())
    }

    @Test("offsets written before file identities were kept read back with device 0 and no fingerprint")
    func legacyOffsets() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        // A v2 database, as the previous version left it, with one offset row.
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python))
        do {
            let store = try SQLiteStore(path: dir.database)
            try await store.commit(
                Batch(offsets: [
                    FileOffset(
                        path: "a.jsonl", offset: 10, line: 1, inode: 7, size: 10, device: 3, fingerprint: 9)
                ]))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [
            "-c",
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("UPDATE file_offsets SET device = 0, fingerprint = NULL")
            db.commit()
            """,
            dir.database,
        ]
        try p.run()
        p.waitUntilExit()
        let offset = try await SQLiteStore(path: dir.database).load().offsets["a.jsonl"]
        #expect(offset == FileOffset(path: "a.jsonl", offset: 10, line: 1, inode: 7, size: 10))
    }

    @Test("a path that cannot be opened throws instead of crashing")
    func unopenablePath() throws {
        #expect(throws: (any Error).self) {
            _ = try SQLiteStore(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite")
        }
    }
}

/// Issue 12 #7: the store held every address and followed the umask (0644).
@Suite("Store files are private")
struct StorePermissionTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }

    @Test("a new store, its write-ahead log and shared-memory file are 0600, whatever the umask")
    func newStoreIsPrivate() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let old = umask(0o022)
        defer { umask(old) }
        let store = try SQLiteStore(path: dir.database)
        try await store.commit(Batch(customers: ["u1": blob("address@example.com")]))
        #expect(try Self.mode(dir.database) == 0o600)
        #expect(try Self.mode(dir.database + "-wal") == 0o600)
        #expect(try Self.mode(dir.database + "-shm") == 0o600)
    }

    @Test("an existing store left 0644 by an earlier version is narrowed to 0600 when opened")
    func existingStoreIsNarrowed() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        do { _ = try SQLiteStore(path: dir.database) }
        #expect(chmod(dir.database, 0o644) == 0)
        _ = try SQLiteStore(path: dir.database)
        #expect(try Self.mode(dir.database) == 0o600)
    }

    @Test("the lock file is 0600 too")
    func lockFileIsPrivate() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let lock = try StoreLock(storePath: dir.database, owner: "test", at: t(0))
        #expect(try Self.mode(lock.path) == 0o600)
    }
}

/// Issue 12 #8–9 at the store: one daemon per store, and a store file that disappears stops the writes.
@Suite("Store lock and file identity")
struct StoreLockTests {
    @Test("a second lock on the same store is refused, naming the holder; released, it can be taken again")
    func secondLockRefused() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        var first: StoreLock? = try StoreLock(storePath: dir.database, owner: "touchpoint-1", at: t(1_000))
        let refusal = #expect(throws: StoreLock.InUse.self) {
            _ = try StoreLock(storePath: dir.database, owner: "touchpoint-2", at: t(2_000))
        }
        #expect(refusal?.holder?.pid == getpid())
        #expect(refusal?.holder?.owner == "touchpoint-1")
        #expect(refusal?.description.contains("lease owner touchpoint-1") == true)
        #expect(refusal?.description.contains("pid \(getpid())") == true)
        _ = first
        first = nil
        _ = try StoreLock(storePath: dir.database, owner: "touchpoint-3", at: t(3_000))
    }

    @Test(
        "a store file deleted or replaced under an open store fails the next write instead of writing into the void"
    )
    func replacedStoreFailsWrites() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.database)
        try await store.commit(Batch(eventsApplied: 1))
        try FileManager.default.removeItem(atPath: dir.database)
        await #expect(throws: StoreError.self) { try await store.commit(Batch(eventsApplied: 1)) }
        await #expect(throws: StoreError.self) {
            _ = try await store.settleAndClaim(
                [], now: t(0), limit: 1, leaseOwner: "x", excludingChannels: [])
        }
        await #expect(throws: StoreError.self) {
            _ = try await store.claimDue(now: t(0), limit: 1, leaseOwner: "x")
        }
        // Replaced by another file at the same path: the same refusal.
        let other = try SQLiteStore(path: dir.database)
        try await other.commit(Batch(eventsApplied: 1))
        await #expect(throws: StoreError.self) { try await store.commit(Batch(eventsApplied: 1)) }
        try await other.commit(Batch(eventsApplied: 1))
    }
}
