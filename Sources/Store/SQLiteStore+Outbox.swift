import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore {
    /// Claims due rows and opens their attempts in one transaction.
    ///
    /// Not shielded from cancellation: a cancelled claim rolls back, so nothing is marked
    /// `sending` that no dispatcher will send.
    public func claimDue(
        now: Instant, limit: Int, leaseOwner: String, excludingChannels: Set<String>
    ) async throws -> [OutboxRow] {
        guard limit > 0 else { return [] }
        let excluded = excludingChannels.sorted()
        let filter =
            excluded.isEmpty ? "" : " AND channel NOT IN (" + excluded.map { _ in "?" }.joined(separator: ", ") + ")"
        var values: [(any DatabaseValueConvertible)?] = [now.milliseconds]
        values += excluded.map { $0 }
        values.append(limit)
        let arguments = StatementArguments(values)
        return try await writer.write { db in
            let due = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM outbox
                    WHERE state IN ('pending', 'retry') AND next_attempt_at <= ?\(filter)
                    ORDER BY next_attempt_at, message_id
                    LIMIT ?
                    """, arguments: arguments)
            let flip = try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'sending', attempts = ?, lease_owner = ?, updated_at = ?
                    WHERE message_id = ?
                    """)
            let open = try db.cachedStatement(
                sql:
                    "INSERT INTO outbox_attempts (message_id, attempt, lease_owner, started_at) VALUES (?, ?, ?, ?)"
            )
            var claimed: [OutboxRow] = []
            claimed.reserveCapacity(due.count)
            for row in due {
                var r = try OutboxRow(row: row)
                r.attempts += 1
                r.state = .sending
                r.leaseOwner = leaseOwner
                r.updatedAt = now
                try flip.execute(arguments: [r.attempts, leaseOwner, now.milliseconds, r.messageId])
                try open.execute(arguments: [r.messageId, r.attempts, leaseOwner, now.milliseconds])
                claimed.append(r)
            }
            return claimed
        }
    }

    /// Records the outcome and closes the open attempt in one transaction.
    public func recordOutcome(messageId: String, outcome: OutboxOutcome, at: Instant) async throws {
        try await recordingWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM outbox WHERE message_id = ?", arguments: [messageId])
            else { throw StoreError.unknownMessage(messageId) }
            let current = try OutboxRow(row: row)
            guard current.state == .sending else {
                throw StoreError.notInFlight(messageId: messageId, state: current.state)
            }
            let ms = at.milliseconds
            switch outcome {
            case .delivered(let providerId, let answer):
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = 'delivered', provider_id = ?, last_answer = ?, updated_at = ?
                        WHERE message_id = ?
                        """, arguments: [providerId, answer, ms, messageId])
            case .retry(let next, let answer):
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = 'retry', next_attempt_at = ?, last_answer = ?, updated_at = ?
                        WHERE message_id = ?
                        """, arguments: [next.milliseconds, answer, ms, messageId])
            case .dead(let reason, let answer):
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = 'dead', reason = ?, last_answer = COALESCE(?, last_answer),
                            updated_at = ?
                        WHERE message_id = ?
                        """, arguments: [reason, answer, ms, messageId])
            case .unknown(let answer):
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = 'unknown', last_answer = COALESCE(?, last_answer), updated_at = ?
                        WHERE message_id = ?
                        """, arguments: [answer, ms, messageId])
            case .dropped(let reason, let detail):
                try db.execute(
                    sql:
                        "UPDATE outbox SET state = 'dropped', reason = ?, updated_at = ? WHERE message_id = ?",
                    arguments: [reason, ms, messageId])
                _ = try Self.insertDropped(
                    DroppedMessage(
                        messageId: messageId, rule: current.rule, customer: current.customer, reason: reason,
                        detail: detail, at: at),
                    in: db)
            }
            let answer: String? =
                switch outcome {
                case .dead(let reason, let answer): answer ?? reason
                case .dropped(let reason, let detail): detail ?? reason
                default: outcome.answer
                }
            try Self.closeAttempt(
                messageId: messageId, attempt: current.attempts, outcome: outcome.state.rawValue,
                answer: answer,
                at: at, in: db)
        }
    }

    /// Settles rows a crash left in `sending`.
    public func recoverInFlight(resendable: Set<String>, at: Instant) async throws -> RecoveryReport {
        try await recordingWrite { db in
            var report = RecoveryReport()
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT message_id, adapter_kind, attempts FROM outbox WHERE state = 'sending' ORDER BY message_id"
            )
            for row in rows {
                let id: String = row["message_id"]
                let kind: String = row["adapter_kind"]
                let attempts: Int = row["attempts"]
                try Self.closeAttempt(
                    messageId: id, attempt: attempts, outcome: AttemptRecord.interrupted, answer: nil, at: at,
                    in: db)
                if resendable.contains(kind) {
                    try db.execute(
                        sql: """
                            UPDATE outbox SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, updated_at = ?
                            WHERE message_id = ?
                            """, arguments: [at.milliseconds, at.milliseconds, id])
                    report.requeued.append(id)
                } else {
                    try db.execute(
                        sql: """
                            UPDATE outbox SET state = 'unknown', reason = ?, updated_at = ?
                            WHERE message_id = ?
                            """,
                        arguments: [
                            "in flight at a crash; '\(kind)' peers cannot deduplicate, so it is not re-sent",
                            at.milliseconds, id,
                        ])
                    report.unknown.append(id)
                }
            }
            return report
        }
    }

    /// Re-queues dead letters (and, by explicit id, an `unknown` row), due at `at`, with a fresh attempt budget.
    @discardableResult
    public func retryDead(messageId: String?, at: Instant) async throws -> Int {
        try await recordingWrite { db in
            let set = """
                UPDATE outbox SET state = 'pending', next_attempt_at = ?, attempts_at_requeue = attempts, reason = NULL,
                    lease_owner = NULL, updated_at = ?
                """
            if let messageId {
                try db.execute(
                    sql: set + " WHERE message_id = ? AND state IN ('dead', 'unknown')",
                    arguments: [at.milliseconds, at.milliseconds, messageId])
            } else {
                try db.execute(
                    sql: set + " WHERE state = 'dead'", arguments: [at.milliseconds, at.milliseconds])
            }
            return db.changesCount
        }
    }

    /// One outbox row by message id.
    public func outboxRow(messageId: String) async throws -> OutboxRow? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE message_id = ?", arguments: [messageId])
                .map(OutboxRow.init(row:))
        }
    }

    /// The attempt records of one message, in attempt order.
    public func attempts(messageId: String) async throws -> [AttemptRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM outbox_attempts WHERE message_id = ? ORDER BY attempt",
                arguments: [messageId]
            ).map(AttemptRecord.init(row:))
        }
    }

    /// When the earliest claimable row falls due.
    public func nextDueAt() async throws -> Instant? {
        try await writer.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'retry')"
            ).map(Instant.init(milliseconds:))
        }
    }

    static func closeAttempt(
        messageId: String, attempt: Int, outcome: String, answer: String?, at: Instant, in db: Database
    ) throws {
        try db.execute(
            sql: """
                UPDATE outbox_attempts SET finished_at = ?, outcome = ?, answer = ?
                WHERE message_id = ? AND attempt = ? AND finished_at IS NULL
                """, arguments: [at.milliseconds, outcome, answer, messageId, attempt])
    }
}
