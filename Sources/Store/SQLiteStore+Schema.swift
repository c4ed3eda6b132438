import GRDB

extension SQLiteStore {
    /// Meta keys.
    enum MetaKey {
        static let eventsApplied = "events_applied"
        static let pendingTimers = "pending_timers"
        static let firstStart = "first_start"
    }

    /// The schema's history. A migration that has shipped is never edited: a change is a new
    /// migration appended below, so every existing file walks the same path to the current schema.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("file-identity") { db in
            try db.execute(sql: fileIdentity)
        }
        migrator.registerMigration("outbox-expiry") { db in
            try db.execute(sql: outboxExpiry)
        }
        migrator.registerMigration("paused-rules") { db in
            try db.execute(sql: PausedRule.tableSQL)
        }
        return migrator
    }

    // Instants are INTEGER epoch milliseconds; UInt64 file positions are stored by bit pattern.
    // CHECK constraints are the schema's own defence against a caller's bug: they make a bad
    // batch fail as a whole instead of leaving a row nobody can address.
    private static let v1 = """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
            state BLOB NOT NULL
        );
        CREATE TABLE globals (
            key TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),
            value BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE seen_messages (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
            seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE file_offsets (
            path TEXT PRIMARY KEY NOT NULL CHECK (length(path) > 0),
            byte_offset INTEGER NOT NULL,
            line INTEGER NOT NULL CHECK (line >= 0),
            inode INTEGER NOT NULL,
            size INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            reason TEXT NOT NULL,
            raw BLOB NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE TABLE outbox (
            message_id TEXT PRIMARY KEY NOT NULL CHECK (length(message_id) > 0),
            rule TEXT NOT NULL,
            customer TEXT NOT NULL,
            channel TEXT NOT NULL,
            adapter_kind TEXT NOT NULL,
            send_at INTEGER NOT NULL,
            prepared BLOB NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'sending', 'retry', 'delivered', 'dead', 'unknown', 'dropped')),
            attempts INTEGER NOT NULL CHECK (attempts >= 0),
            attempts_at_requeue INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_answer TEXT,
            provider_id TEXT,
            reason TEXT,
            lease_owner TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
        CREATE TABLE outbox_attempts (
            message_id TEXT NOT NULL REFERENCES outbox (message_id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL CHECK (attempt >= 1),
            lease_owner TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            outcome TEXT,
            answer TEXT,
            PRIMARY KEY (message_id, attempt)
        ) WITHOUT ROWID;
        CREATE TABLE dropped (
            message_id TEXT PRIMARY KEY NOT NULL CHECK (length(message_id) > 0),
            rule TEXT NOT NULL,
            customer TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT,
            at INTEGER NOT NULL
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    // The claimable rows in claim order, in all and per channel. The claim queries name them (`INDEXED BY`)
    // and read only as many entries as they claim; rows in any other state are not in them, so they stay as
    // small as the backlog. The per-channel one serves claims that leave saturated channels out: filtering
    // those out of the first index meant reading every row of a busy channel's backlog on each claim.
    private static let v2 = """
        CREATE INDEX outbox_claimable ON outbox (next_attempt_at, message_id) WHERE state IN ('pending', 'retry');
        CREATE INDEX outbox_claimable_channel ON outbox (channel, next_attempt_at, message_id)
            WHERE state IN ('pending', 'retry');
        """

    // Which file an offset belongs to beyond its inode: the device, and a fingerprint of the bytes before the
    // offset (NULL in rows from before; those are trusted on their inode and size, as they were).
    private static let fileIdentity = """
        ALTER TABLE file_offsets ADD COLUMN device INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE file_offsets ADD COLUMN fingerprint INTEGER;
        """

    // The last instant a row may still be sent (its window plus max-lateness), checked at every claim;
    // NULL = no limit (rows from before, and messages without a window).
    private static let outboxExpiry = """
        ALTER TABLE outbox ADD COLUMN expires_at INTEGER;
        """
}

extension SQLiteStore {
    /// The identifiers of the migrations applied to this database, in order (e.g. `["v1"]`).
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try Self.migrator.appliedMigrations(db) }
    }
}
