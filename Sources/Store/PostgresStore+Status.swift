import Foundation
import PostgresNIO
import TouchpointCore

extension PostgresStore {
    /// Counts from one snapshot. In a cluster the offsets are the least advanced partition's per file (where a
    /// node taking every partition would start reading); ``clusterStatus(logLimit:)`` has each partition's.
    public func status(deadLetterLimit: Int) async throws -> StoreStatus {
        let clustered = cluster != nil
        return try await snapshot { c, l in
            var outbox = Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0, 0) })
            for row in try await c.rows("SELECT state, count(*) FROM outbox GROUP BY state", logger: l) {
                let (name, n) = try row.decode((String, Int64).self)
                guard let state = OutboxState(rawValue: name) else {
                    throw StoreError.corrupt("outbox state '\(name)'")
                }
                outbox[state] = Int(n)
            }
            let dead = try await c.rows(
                """
                SELECT message_id, rule, customer, channel, attempts, reason, last_answer, updated_at FROM outbox
                WHERE state = 'dead' ORDER BY updated_at DESC, message_id LIMIT $1
                """, [.int(Int64(max(0, deadLetterLimit)))], logger: l
            ).map { row in
                let (id, rule, customer, channel, attempts, reason, answer, at) = try row.decode(
                    (String, String, ByteBuffer, String, Int32, String?, String?, Int64).self)
                return DeadLetter(
                    messageId: id, rule: rule, customer: String(exactText: customer.data), channel: channel,
                    attempts: Int(attempts), reason: reason, lastAnswer: answer, at: Instant(milliseconds: at)
                )
            }
            let counters = try await Self.counters(c, l)
            var offsets = try await c.rows(
                "SELECT \(Self.offsetColumns) FROM file_offsets ORDER BY path", logger: l
            ).map(FileOffset.init(postgres:))
            if clustered {
                offsets = try await c.rows(
                    """
                    SELECT DISTINCT ON (path) \(Self.offsetColumns) FROM partition_offsets
                    ORDER BY path, byte_offset, partition
                    """, logger: l
                ).map(FileOffset.init(postgres:))
            }
            var queued: [String: Int] = [:]
            for row in try await c.rows(
                "SELECT channel, count(*) FROM outbox WHERE state IN ('pending', 'retry', 'sending') GROUP BY channel",
                logger: l)
            {
                let (channel, n) = try row.decode((String, Int64).self)
                queued[channel] = Int(n)
            }
            var status = StoreStatus(
                eventsApplied: counters.eventsApplied,
                quarantined: try await Self.count("quarantine", c, l),
                customers: try await Self.count("customers", c, l),
                seenMessages: try await Self.count("seen_messages", c, l),
                pendingTimers: counters.pendingTimers,
                outbox: outbox,
                dropped: try await Self.count("dropped", c, l),
                deadLetters: dead,
                offsets: offsets)
            status.queuedByChannel = queued
            return status
        }
    }

    /// The latest quarantined lines, newest first.
    public func quarantined(limit: Int) async throws -> [QuarantinedLine] {
        try await snapshot { c, l in
            try await c.rows(
                "SELECT path, line, reason, raw, at FROM quarantine ORDER BY id DESC LIMIT $1",
                [.int(Int64(max(0, limit)))], logger: l
            ).map { row in
                let (path, line, reason, raw, at) = try row.decode(
                    (String, Int64, String, ByteBuffer, Int64).self)
                return QuarantinedLine(
                    path: path, line: Int(line), reason: reason, raw: raw.data, at: Instant(milliseconds: at))
            }
        }
    }

    /// One global blob by key.
    public func global(_ key: String) async throws -> Data? {
        try await snapshot { c, l in
            try await c.rows("SELECT value FROM globals WHERE key = $1", [.text(key)], logger: l).first?
                .decode(
                    ByteBuffer.self
                ).data
        }
    }
}
