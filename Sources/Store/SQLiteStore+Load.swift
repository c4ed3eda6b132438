import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore {
    /// Reads everything the engine needs, from one consistent snapshot.
    public func load() async throws -> StoredState {
        try await writer.read { db in
            var state = StoredState()
            let customers = try Row.fetchCursor(db, sql: "SELECT CAST(id AS BLOB), state FROM customers")
            while let row = try customers.next() {
                state.customers[String(exactText: row[0])] = row[1] as Data
            }
            let globals = try Row.fetchCursor(db, sql: "SELECT key, value FROM globals")
            while let row = try globals.next() {
                state.globals[row[0]] = row[1] as Data
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM file_offsets") {
                let offset = FileOffset(row: row)
                state.offsets[offset.path] = offset
            }
            state.seenCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM seen_messages") ?? 0
            state.eventsApplied = try Self.meta(MetaKey.eventsApplied, in: db) ?? 0
            state.pendingTimers = try Self.meta(MetaKey.pendingTimers, in: db)
            state.firstStartedAt = try Self.meta(MetaKey.firstStart, in: db).map {
                Instant(milliseconds: Int64($0))
            }
            return state
        }
    }

    /// Records the first daemon start; later calls keep the first time.
    public func recordFirstStart(at: Instant) async throws {
        try await recordingWrite { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                arguments: [MetaKey.firstStart, at.milliseconds])
        }
    }

    /// Looks ids up in chunks, keeping each statement under SQLite's bound-parameter limit.
    public func hasSeen(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await writer.read { db in
            var seen = Set<String>()
            let chunk = 500
            var start = 0
            while start < ids.count {
                let end = min(start + chunk, ids.count)
                let slice = Array(ids[start..<end])
                let statement = try db.cachedStatement(
                    sql:
                        "SELECT CAST(id AS BLOB) FROM seen_messages WHERE id IN (\(Self.exactTextMarks(slice.count)))"
                )
                let found = try Data.fetchCursor(
                    statement, arguments: StatementArguments(slice.map(\.exactText)))
                while let id = try found.next() { seen.insert(String(exactText: id)) }
                start = end
            }
            return seen
        }
    }

    /// `CAST(? AS TEXT), …` for `count` exact-text arguments.
    static func exactTextMarks(_ count: Int) -> String {
        Array(repeating: "CAST(? AS TEXT)", count: count).joined(separator: ", ")
    }
}
