import Foundation
import PostgresNIO

extension PostgresStore {
    /// The schema's history, applied in order. A migration that has shipped is never edited: a change is a new
    /// migration appended below, so every database walks the same path to the current schema.
    static let migrations: [(id: String, sql: String)] = [
        ("v1", v1),
        ("cluster", cluster),
        ("paused-rules", PausedRule.tableSQL),
    ]

    // Instants are bigint epoch milliseconds, as in the SQLite store; UInt64 file positions are stored by bit
    // pattern. Customer ids and event message ids are bytea: PostgreSQL's text cannot hold a NUL, and ids are
    // kept exactly (see `ExactText.swift`). CHECK constraints make a bad batch fail as a whole.
    private static let v1 = """
        CREATE TABLE customers (
            id bytea PRIMARY KEY CHECK (length(id) > 0),
            key_hash bigint NOT NULL,
            partition integer NOT NULL DEFAULT 0,
            state bytea NOT NULL
        );
        CREATE INDEX customers_partition ON customers (partition);
        CREATE TABLE globals (
            key text PRIMARY KEY CHECK (length(key) > 0),
            value bytea NOT NULL
        );
        CREATE TABLE seen_messages (
            id bytea PRIMARY KEY CHECK (length(id) > 0),
            seen_at bigint NOT NULL
        );
        CREATE TABLE file_offsets (
            path text PRIMARY KEY CHECK (length(path) > 0),
            byte_offset bigint NOT NULL,
            line bigint NOT NULL CHECK (line >= 0),
            inode bigint NOT NULL,
            size bigint NOT NULL,
            device bigint NOT NULL DEFAULT 0,
            fingerprint bigint
        );
        CREATE TABLE quarantine (
            id bigserial PRIMARY KEY,
            path text NOT NULL,
            line bigint NOT NULL,
            reason text NOT NULL,
            raw bytea NOT NULL,
            at bigint NOT NULL
        );
        CREATE TABLE outbox (
            message_id text PRIMARY KEY CHECK (length(message_id) > 0),
            rule text NOT NULL,
            customer bytea NOT NULL,
            channel text NOT NULL,
            adapter_kind text NOT NULL,
            send_at bigint NOT NULL,
            prepared bytea NOT NULL,
            state text NOT NULL
                CHECK (state IN ('pending', 'sending', 'retry', 'delivered', 'dead', 'unknown', 'dropped')),
            attempts integer NOT NULL CHECK (attempts >= 0),
            attempts_at_requeue integer NOT NULL DEFAULT 0,
            next_attempt_at bigint NOT NULL,
            last_answer text,
            provider_id text,
            reason text,
            lease_owner text,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            expires_at bigint
        );
        CREATE INDEX outbox_claimable ON outbox (next_attempt_at, message_id) WHERE state IN ('pending', 'retry');
        CREATE INDEX outbox_claimable_channel ON outbox (channel, next_attempt_at, message_id)
            WHERE state IN ('pending', 'retry');
        CREATE INDEX outbox_sending ON outbox (lease_owner) WHERE state = 'sending';
        CREATE INDEX outbox_dead ON outbox (updated_at DESC, message_id) WHERE state = 'dead';
        CREATE INDEX outbox_state ON outbox (state);
        CREATE TABLE outbox_attempts (
            message_id text NOT NULL REFERENCES outbox (message_id) ON DELETE CASCADE,
            attempt integer NOT NULL CHECK (attempt >= 1),
            lease_owner text NOT NULL,
            started_at bigint NOT NULL,
            finished_at bigint,
            outcome text,
            answer text,
            PRIMARY KEY (message_id, attempt)
        );
        CREATE TABLE dropped (
            message_id text PRIMARY KEY CHECK (length(message_id) > 0),
            rule text NOT NULL,
            customer bytea NOT NULL,
            reason text NOT NULL,
            detail text,
            at bigint NOT NULL
        );
        CREATE TABLE meta (
            key text PRIMARY KEY,
            value bigint NOT NULL
        );
        """

    // Several daemons on one store (SPEC §10). A node row's epoch grows at every start and when another node
    // declares it dead: it fences the node's outbox writes. A partition's epoch grows at every acquisition: it
    // fences the partition's data. Lease times are the server's clock. `node_stats` is apart from
    // `cluster_nodes` so that a commit never waits on its node's renewal, nor the other way round.
    private static let cluster = """
        CREATE TABLE cluster_nodes (
            node text PRIMARY KEY CHECK (length(node) > 0),
            epoch bigint NOT NULL CHECK (epoch >= 1),
            state text NOT NULL CHECK (state IN ('alive', 'left', 'dead')),
            host text NOT NULL,
            pid integer NOT NULL,
            started_at bigint NOT NULL,
            renewed_at bigint NOT NULL,
            expires_at bigint NOT NULL
        );
        CREATE TABLE cluster_partitions (
            partition integer PRIMARY KEY CHECK (partition >= 0),
            owner text,
            epoch bigint NOT NULL DEFAULT 0,
            acquired_at bigint,
            renewed_at bigint,
            expires_at bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE node_stats (
            node text PRIMARY KEY,
            events_applied bigint NOT NULL DEFAULT 0,
            pending_timers bigint,
            population bytea,
            updated_at bigint NOT NULL
        );
        CREATE TABLE partition_offsets (
            partition integer NOT NULL CHECK (partition >= 0),
            path text NOT NULL CHECK (length(path) > 0),
            byte_offset bigint NOT NULL,
            line bigint NOT NULL CHECK (line >= 0),
            inode bigint NOT NULL,
            size bigint NOT NULL,
            device bigint NOT NULL DEFAULT 0,
            fingerprint bigint,
            PRIMARY KEY (partition, path)
        );
        CREATE TABLE partition_globals (
            partition integer NOT NULL CHECK (partition >= 0),
            key text NOT NULL CHECK (length(key) > 0),
            value bytea NOT NULL,
            PRIMARY KEY (partition, key)
        );
        CREATE TABLE cluster_log (
            id bigserial PRIMARY KEY,
            at bigint NOT NULL,
            node text NOT NULL,
            kind text NOT NULL,
            detail text NOT NULL
        );
        """

    /// Applies the migrations this database lacks, one transaction each, under an advisory lock: nodes
    /// starting at the same moment migrate once.
    func migrate() async throws {
        try await transaction { connection, logger in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied = Set<String>()
            for try await id in try await connection.query("SELECT id FROM schema_migrations", logger: logger)
                .decode(String.self)
            {
                applied.insert(id)
            }
            for migration in Self.migrations where !applied.contains(migration.id) {
                // One statement per query: the extended protocol takes one at a time (no `;` inside a statement).
                for statement in migration.sql.split(separator: ";").map({
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                }) where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (id) VALUES (\(migration.id))", logger: logger)
            }
        }
    }

    static let migrationLockKey: Int64 = 0x7470_0002

    /// The identifiers of the migrations applied to this database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await snapshot { connection, logger in
            try await connection.query("SELECT id FROM schema_migrations", logger: logger).collect().map {
                try $0.decode(String.self)
            }.sorted { a, b in
                (Self.migrations.firstIndex { $0.id == a } ?? .max)
                    < (Self.migrations.firstIndex { $0.id == b } ?? .max)
            }
        }
    }
}
