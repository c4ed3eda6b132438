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
            #expect(try await store.appliedMigrations() == ["v1", "v2"])
            try await store.commit(Batch(customers: ["u1": blob("state")], eventsApplied: 1))
        }
        #expect(FileManager.default.fileExists(atPath: dir.database))
        let reopened = try SQLiteStore(path: dir.database)
        #expect(try await reopened.appliedMigrations() == ["v1", "v2"])
        let state = try await reopened.load()
        #expect(state.customers == ["u1": blob("state")])
        #expect(state.eventsApplied == 1)
    }

    @Test("an in-memory store is migrated and empty")
    func inMemoryIsEmpty() async throws {
        let store = try SQLiteStore.inMemory()
        #expect(try await store.appliedMigrations() == ["v1", "v2"])
        #expect(try await store.load() == StoredState())
    }

    @Test("a path that cannot be opened throws instead of crashing")
    func unopenablePath() throws {
        #expect(throws: (any Error).self) {
            _ = try SQLiteStore(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite")
        }
    }
}
