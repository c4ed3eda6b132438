import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore {
    /// Commits one batch in a single write transaction; any failing statement rolls back all of it.
    @discardableResult
    public func commit(_ batch: Batch) async throws -> CommitReport {
        try await recordingWrite { db in try Self.apply(batch, in: db) }
    }

    // `ON CONFLICT … DO NOTHING` rather than `INSERT OR IGNORE`: OR IGNORE would also swallow
    // CHECK and NOT NULL violations, silently dropping a malformed row instead of failing the batch.
    static func apply(_ batch: Batch, in db: Database) throws -> CommitReport {
        var report = CommitReport()
        if !batch.customers.isEmpty {
            let upsert = try db.cachedStatement(
                sql:
                    "INSERT INTO customers (id, state) VALUES (CAST(? AS TEXT), ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state"
            )
            for (id, state) in batch.customers { try upsert.execute(arguments: [id.exactText, state]) }
        }
        if !batch.removedCustomers.isEmpty {
            let delete = try db.cachedStatement(sql: "DELETE FROM customers WHERE id = CAST(? AS TEXT)")
            for id in batch.removedCustomers { try delete.execute(arguments: [id.exactText]) }
        }
        if !batch.globals.isEmpty {
            let upsert = try db.cachedStatement(
                sql:
                    "INSERT INTO globals (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            for (key, value) in batch.globals { try upsert.execute(arguments: [key, value]) }
        }
        if !batch.seenMessageIds.isEmpty {
            let insert = try db.cachedStatement(
                sql:
                    "INSERT INTO seen_messages (id, seen_at) VALUES (CAST(? AS TEXT), ?) ON CONFLICT (id) DO NOTHING"
            )
            for seen in batch.seenMessageIds {
                try insert.execute(arguments: [seen.id.exactText, seen.at.milliseconds])
                report.seenInserted += db.changesCount
            }
        }
        if !batch.removedOffsets.isEmpty {
            let delete = try db.cachedStatement(sql: "DELETE FROM file_offsets WHERE path = ?")
            for path in batch.removedOffsets { try delete.execute(arguments: [path]) }
        }
        if !batch.offsets.isEmpty {
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO file_offsets (path, byte_offset, line, inode, size, device, fingerprint)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET byte_offset = excluded.byte_offset, line = excluded.line,
                        inode = excluded.inode, size = excluded.size, device = excluded.device,
                        fingerprint = excluded.fingerprint
                    """)
            for o in batch.offsets {
                try upsert.execute(arguments: [
                    o.path, Int64(bitPattern: o.offset), o.line, Int64(bitPattern: o.inode),
                    Int64(bitPattern: o.size), Int64(bitPattern: o.device),
                    o.fingerprint.map { Int64(bitPattern: $0) },
                ])
            }
        }
        if !batch.quarantine.isEmpty {
            let insert = try db.cachedStatement(
                sql: "INSERT INTO quarantine (path, line, reason, raw, at) VALUES (?, ?, ?, ?, ?)")
            for q in batch.quarantine {
                try insert.execute(arguments: [q.path, q.line, q.reason, q.raw, q.at.milliseconds])
            }
        }
        if !batch.outbox.isEmpty {
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO outbox (message_id, rule, customer, channel, adapter_kind, send_at, prepared, state,
                        attempts, attempts_at_requeue, next_attempt_at, last_answer, provider_id, reason, lease_owner,
                        created_at, updated_at, expires_at)
                    VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (message_id) DO NOTHING
                    """)
            for r in batch.outbox {
                try insert.execute(arguments: [
                    r.messageId, r.rule, r.customer.exactText, r.channel, r.adapterKind,
                    r.sendAt.milliseconds,
                    r.prepared,
                    r.state.rawValue, r.attempts, r.attemptsAtRequeue, r.nextAttemptAt.milliseconds,
                    r.lastAnswer,
                    r.providerId, r.reason, r.leaseOwner, r.createdAt.milliseconds, r.updatedAt.milliseconds,
                    r.expiresAt?.milliseconds,
                ])
                if db.changesCount > 0 { report.outboxInserted += 1 } else { report.outboxIgnored += 1 }
            }
        }
        for d in batch.dropped {
            report.droppedInserted += try insertDropped(d, in: db)
        }
        if !batch.withdrawn.isEmpty {
            let withdraw = try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'dropped', reason = ?, updated_at = ?
                    WHERE message_id = ? AND state IN ('pending', 'retry')
                    """)
            for d in batch.withdrawn {
                try withdraw.execute(arguments: [d.reason, d.at.milliseconds, d.messageId])
                guard db.changesCount > 0 else { continue }
                report.withdrawn += 1
                report.droppedInserted += try insertDropped(d, in: db)
            }
        }
        if batch.eventsApplied != 0 {
            try db.execute(
                sql: """
                    INSERT INTO meta (key, value) VALUES (?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = value + excluded.value
                    """, arguments: [MetaKey.eventsApplied, batch.eventsApplied])
        }
        if let timers = batch.pendingTimers {
            try setMeta(MetaKey.pendingTimers, timers, in: db)
        }
        return report
    }

    /// Records a dropped message unless its id is already recorded; returns 1 if inserted.
    static func insertDropped(_ d: DroppedMessage, in db: Database) throws -> Int {
        try db.cachedStatement(
            sql: """
                INSERT INTO dropped (message_id, rule, customer, reason, detail, at)
                VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?)
                ON CONFLICT (message_id) DO NOTHING
                """
        ).execute(arguments: [
            d.messageId, d.rule, d.customer.exactText, d.reason, d.detail, d.at.milliseconds,
        ])
        return db.changesCount
    }

    static func setMeta(_ key: String, _ value: Int, in db: Database) throws {
        try db.execute(
            sql:
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }

    static func meta(_ key: String, in db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }
}
