import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore {
    /// Counts from one consistent snapshot.
    public func status(deadLetterLimit: Int) async throws -> StoreStatus {
        try await writer.read { db in
            var outbox = Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM outbox GROUP BY state") {
                let name: String = row[0]
                guard let state = OutboxState(rawValue: name) else {
                    throw StoreError.corrupt("outbox state '\(name)'")
                }
                outbox[state] = row[1]
            }
            let dead = try Row.fetchAll(
                db,
                sql: """
                    SELECT message_id, rule, customer, channel, attempts, reason, last_answer, updated_at FROM outbox
                    WHERE state = 'dead' ORDER BY updated_at DESC, message_id LIMIT ?
                    """, arguments: [max(0, deadLetterLimit)]
            ).map { row in
                DeadLetter(
                    messageId: row["message_id"], rule: row["rule"], customer: row["customer"],
                    channel: row["channel"], attempts: row["attempts"], reason: row["reason"],
                    lastAnswer: row["last_answer"], at: Instant(milliseconds: row["updated_at"]))
            }
            func count(_ table: String) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            var queued: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT channel, COUNT(*) FROM outbox WHERE state IN ('pending', 'retry', 'sending') GROUP BY channel"
            ) {
                queued[row[0]] = row[1]
            }
            var status = StoreStatus(
                eventsApplied: try Self.meta(MetaKey.eventsApplied, in: db) ?? 0,
                quarantined: try count("quarantine"),
                customers: try count("customers"),
                seenMessages: try count("seen_messages"),
                pendingTimers: try Self.meta(MetaKey.pendingTimers, in: db),
                outbox: outbox,
                dropped: try count("dropped"),
                deadLetters: dead,
                offsets: try Row.fetchAll(db, sql: "SELECT * FROM file_offsets ORDER BY path").map(
                    FileOffset.init(row:)))
            status.queuedByChannel = queued
            return status
        }
    }

    /// The latest quarantined lines, newest first.
    public func quarantined(limit: Int) async throws -> [QuarantinedLine] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM quarantine ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)]
            ).map(QuarantinedLine.init(row:))
        }
    }
}
