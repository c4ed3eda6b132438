import Foundation
import GRDB
import TouchpointCore

/// ``StateStore`` over SQLite through GRDB: a `DatabasePool` in WAL mode for files, a
/// `DatabaseQueue` in memory for tests.
///
/// All database work runs on GRDB's own serial dispatch queues: the async `read` and `write`
/// of GRDB hop onto them (through its dispatch-queue actor), so blocking SQLite calls never
/// occupy a thread of Swift's cooperative pool. Writes are serialized by the one writer
/// connection; reads run in parallel on WAL snapshots.
public struct SQLiteStore: StateStore {
    /// How hard a commit insists on reaching the disk.
    public enum Durability: Sendable, Hashable {
        /// `PRAGMA synchronous = FULL`: a committed transaction survives power loss. The default.
        case full
        /// `PRAGMA synchronous = NORMAL` (GRDB's WAL default): survives a process crash (`kill -9`),
        /// but a power loss may roll back the last commits — including "attempt started" records.
        case normal
    }

    let writer: any DatabaseWriter
    /// The database file, checked before every write; `nil` in memory.
    let file: StoreFile?

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    ///
    /// WAL journal, foreign keys on, a 5-second busy timeout for other processes holding the lock.
    /// Open one store per file per process and keep it for the process's life. The file (and its WAL)
    /// is `0600`, a folder created for it `0700`. Every write first checks that the path still names the
    /// file that was opened, and fails with ``StoreError/replaced(_:)`` once it does not.
    public init(path: String, durability: Durability = .full) throws {
        try StoreFile.prepare(path)
        var config = Configuration()
        config.label = "touchpoint.store"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: config)
        try pool.writeWithoutTransaction { db in
            if durability == .full {
                // GRDB sets NORMAL when it enables WAL; only the writer connection commits, so this is the one to change.
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            // SQLite's default page cache (2 MB) is smaller than the customer states one batch rewrites, so every
            // commit re-read pages from the file; 64 MB keeps the writer's working set (allocated only as used).
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        try Self.migrator.migrate(pool)
        self.writer = pool
        self.file = StoreFile(path: path)
    }

    /// Wraps an already opened GRDB connection and brings its schema up to date.
    public init(writer: any DatabaseWriter) throws {
        try Self.migrator.migrate(writer)
        self.writer = writer
        self.file = nil
    }

    /// A private in-memory database, for tests and dry runs.
    public static func inMemory() throws -> SQLiteStore {
        var config = Configuration()
        config.label = "touchpoint.store.memory"
        config.foreignKeysEnabled = true
        return try SQLiteStore(writer: DatabaseQueue(configuration: config))
    }

    /// Runs a write transaction that completes even if the calling task is cancelled: these writes
    /// record what already happened (a send, a batch handed over by the engine), and losing them to a
    /// shutdown would break "nothing twice". An unstructured task does not inherit cancellation.
    func recordingWrite<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T
    {
        try file?.check()
        let writer = self.writer
        return try await Task { try await writer.write(updates) }.value
    }
}
