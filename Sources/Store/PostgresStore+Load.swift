import Foundation
import PostgresNIO
import TouchpointCore

extension PostgresStore {
    /// Reads everything the engine needs, from one snapshot.
    ///
    /// In a cluster this is every partition's state (for `status` and tools); a node loads only the partitions
    /// it holds, with ``loadPartitions(_:)``.
    public func load() async throws -> StoredState {
        try await snapshot { c, l in
            var state = StoredState()
            for try await (id, blob) in try await c.query("SELECT id, state FROM customers", logger: l)
                .decode(
                    (ByteBuffer, ByteBuffer).self)
            {
                state.customers[String(exactText: id.data)] = blob.data
            }
            for row in try await c.rows("SELECT key, value FROM globals", logger: l) {
                let (key, value) = try row.decode((String, ByteBuffer).self)
                state.globals[key] = value.data
            }
            for row in try await c.rows("SELECT \(Self.offsetColumns) FROM file_offsets", logger: l) {
                let offset = try FileOffset(postgres: row)
                state.offsets[offset.path] = offset
            }
            state.seenCount = try await Self.count("seen_messages", c, l)
            let counters = try await Self.counters(c, l)
            state.eventsApplied = counters.eventsApplied
            state.pendingTimers = counters.pendingTimers
            state.firstStartedAt = try await Self.meta(MetaKey.firstStart, c, l).map(
                Instant.init(milliseconds:))
            return state
        }
    }

    /// Records the first daemon start; later calls keep the first time.
    public func recordFirstStart(at: Instant) async throws {
        _ = try await recordingTransaction { c, l in
            try await c.rows(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                [.text(MetaKey.firstStart), .int(at.milliseconds)], logger: l)
        }
    }

    /// The subset of `ids` already recorded as processed, in one statement.
    public func hasSeen(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let wanted = ids.map { $0.exactText.buffer }
        return try await snapshot { c, l in
            var seen = Set<String>()
            for row in try await c.rows(
                "SELECT id FROM seen_messages WHERE id = ANY($1::bytea[])", [.bytesArray(wanted)], logger: l)
            {
                seen.insert(String(exactText: try row.decode(ByteBuffer.self).data))
            }
            return seen
        }
    }

    /// Meta keys, as in the SQLite store.
    enum MetaKey {
        static let eventsApplied = "events_applied"
        static let pendingTimers = "pending_timers"
        static let firstStart = "first_start"
        static let partitions = "partitions"
    }

    static let offsetColumns = "path, byte_offset, line, inode, size, device, fingerprint"

    static func count(_ table: String, _ c: PostgresConnection, _ l: Logger) async throws -> Int {
        Int(try await c.rows("SELECT count(*) FROM \(table)", logger: l).first?.decode(Int64.self) ?? 0)
    }

    static func meta(_ key: String, _ c: PostgresConnection, _ l: Logger) async throws -> Int64? {
        try await c.rows("SELECT value FROM meta WHERE key = $1", [.text(key)], logger: l).first?.decode(
            Int64.self)
    }

    /// Events applied and pending timers: the single daemon's, plus every cluster node's.
    static func counters(_ c: PostgresConnection, _ l: Logger) async throws -> (
        eventsApplied: Int, pendingTimers: Int?
    ) {
        let applied = try await meta(MetaKey.eventsApplied, c, l) ?? 0
        let timers = try await meta(MetaKey.pendingTimers, c, l)
        let nodes = try await c.rows(
            "SELECT COALESCE(sum(events_applied), 0)::bigint, sum(pending_timers)::bigint FROM node_stats",
            logger: l
        ).first?.decode((Int64, Int64?).self)
        let nodeTimers = nodes?.1
        let pending: Int? =
            timers == nil && nodeTimers == nil ? nil : Int((timers ?? 0) + (nodeTimers ?? 0))
        return (Int(applied + (nodes?.0 ?? 0)), pending)
    }
}

extension FileOffset {
    /// Decodes `SELECT \(PostgresStore.offsetColumns)`.
    init(postgres row: PostgresRow) throws {
        let (path, offset, line, inode, size, device, fingerprint) = try row.decode(
            (String, Int64, Int64, Int64, Int64, Int64, Int64?).self)
        self.init(
            path: path, offset: UInt64(bitPattern: offset), line: Int(line), inode: UInt64(bitPattern: inode),
            size: UInt64(bitPattern: size), device: UInt64(bitPattern: device),
            fingerprint: fingerprint.map { UInt64(bitPattern: $0) })
    }
}

extension PostgresStore {
    /// ``load()`` without the customers and globals: what a cluster node needs at start-up (whether the store is
    /// new, what was applied), where loading every customer would defeat the point of partitions. (Customers come
    /// only from applied events, so a store with none applied has none.) The offsets are the least advanced
    /// partition's per file.
    public func summary() async throws -> StoredState {
        try await snapshot { c, l in
            var state = StoredState()
            for row in try await c.rows(
                "SELECT DISTINCT ON (path) \(Self.offsetColumns) FROM partition_offsets ORDER BY path, byte_offset",
                logger: l)
            {
                let offset = try FileOffset(postgres: row)
                state.offsets[offset.path] = offset
            }
            state.seenCount = try await Self.count("seen_messages", c, l)
            let counters = try await Self.counters(c, l)
            state.eventsApplied = counters.eventsApplied
            state.pendingTimers = counters.pendingTimers
            state.firstStartedAt = try await Self.meta(MetaKey.firstStart, c, l).map(
                Instant.init(milliseconds:))
            return state
        }
    }
}
