import Foundation
import GRDB
import Synchronization
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
        try file?.check()
        return try await writer.write { db in
            try Self.claim(
                now: now, limit: limit, leaseOwner: leaseOwner, excluding: excludingChannels, in: db
            )
            .claimed
        }
    }

    /// Records the outcome and closes the open attempt in one transaction.
    public func recordOutcome(messageId: String, outcome: OutboxOutcome, at: Instant) async throws {
        try await recordingWrite { db in
            try Self.settle(SettledAttempt(messageId: messageId, outcome: outcome, at: at), in: db)
        }
    }

    /// Records many outcomes and claims due rows in one transaction: one commit (one WAL sync) for the
    /// whole cycle instead of one per message.
    ///
    /// The outcomes are recorded even if the calling task is cancelled (they record sends that already
    /// happened); the claim is skipped once it is cancelled. An outcome the store refuses (the row is not
    /// in flight) is reported in ``ClaimCycle/refused`` without failing the others.
    public func settleAndClaim(
        _ settled: [SettledAttempt], now: Instant, limit: Int, leaseOwner: String,
        excludingChannels: Set<String>
    ) async throws -> ClaimCycle {
        guard !settled.isEmpty || limit > 0 else { return ClaimCycle() }
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await recordingWrite { db in
                var cycle = ClaimCycle()
                for s in settled {
                    do {
                        try Self.settle(s, in: db)
                    } catch let refusal as StoreError {
                        cycle.refused.append(refusal)
                    }
                }
                if limit > 0 && !cancelled.isSet {
                    (cycle.claimed, cycle.expired) = try Self.claim(
                        now: now, limit: limit, leaseOwner: leaseOwner, excluding: excludingChannels, in: db)
                }
                return cycle
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Set when the task that asked for a claim is cancelled; read inside the transaction.
    private final class CancellationFlag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    // `INDEXED BY` the partial indexes of claimable rows (migration v2): they are already in
    // (next_attempt_at, message_id) order, so a claim reads `limit` entries and stops. Left to itself, the
    // planner picked `outbox_due (state, next_attempt_at)` and sorted every due row on each claim, which made
    // delivery slower the longer the outbox was. With channels left out, a filter on the first index would
    // read (and skip) a saturated channel's whole backlog on every claim; instead each other channel that
    // has claimable rows is read from the per-channel index, and the runs are merged in claim order.
    //
    // A due row past its `expires_at` is not claimed: it becomes `dropped` (`window-expired`) in the same
    // transaction, so expiry holds at every attempt (a 429 with `Retry-After: 90` on a message with 30 s of
    // lateness left went out 91 s late) and after a restart. The claim then reads on, so expired rows do not
    // take the free slots.
    static func claim(
        now: Instant, limit: Int, leaseOwner: String, excluding: Set<String>, in db: Database
    ) throws -> (claimed: [OutboxRow], expired: [String]) {
        var claimed: [OutboxRow] = []
        var expired: [String] = []
        while claimed.count < limit {
            let round = try claimRound(
                now: now, limit: limit - claimed.count, leaseOwner: leaseOwner, excluding: excluding, in: db)
            claimed += round.claimed
            expired += round.expired
            if round.expired.isEmpty { break }
        }
        return (claimed, expired)
    }

    private static func claimRound(
        now: Instant, limit: Int, leaseOwner: String, excluding: Set<String>, in db: Database
    ) throws -> (claimed: [OutboxRow], expired: [String]) {
        guard limit > 0 else { return ([], []) }
        var due: [Row]
        if excluding.isEmpty {
            due = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.outboxColumns) FROM outbox INDEXED BY outbox_claimable
                        WHERE state IN ('pending', 'retry') AND next_attempt_at <= ?
                        ORDER BY next_attempt_at, message_id
                        LIMIT ?
                        """), arguments: [now.milliseconds, limit])
        } else {
            due = []
            let perChannel = try db.cachedStatement(
                sql: """
                    SELECT \(Self.outboxColumns) FROM outbox INDEXED BY outbox_claimable_channel
                    WHERE state IN ('pending', 'retry') AND channel = ? AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, message_id
                    LIMIT ?
                    """)
            for channel in try claimableChannels(in: db) where !excluding.contains(channel) {
                due += try Row.fetchAll(perChannel, arguments: [channel, now.milliseconds, limit])
            }
            due.sort { a, b in
                let (ta, tb): (Int64, Int64) = (a["next_attempt_at"], b["next_attempt_at"])
                return ta != tb ? ta < tb : (a["message_id"] as String) < (b["message_id"] as String)
            }
            if due.count > limit { due.removeLast(due.count - limit) }
        }
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
        var expired: [String] = []
        claimed.reserveCapacity(due.count)
        for row in due {
            var r = try OutboxRow(row: row)
            if let expiresAt = r.expiresAt, now > expiresAt {
                try expire(r, now: now, in: db)
                expired.append(r.messageId)
                continue
            }
            r.attempts += 1
            r.state = .sending
            r.leaseOwner = leaseOwner
            r.updatedAt = now
            try flip.execute(arguments: [r.attempts, leaseOwner, now.milliseconds, r.messageId])
            try open.execute(arguments: [r.messageId, r.attempts, leaseOwner, now.milliseconds])
            claimed.append(r)
        }
        return (claimed, expired)
    }

    /// Drops a row whose window has passed, with the dropped-message record `status` counts.
    static func expire(_ r: OutboxRow, now: Instant, in db: Database) throws {
        let reason = SuppressionReason.windowExpired.rawValue
        guard let expiresAt = r.expiresAt else { return }
        let detail =
            "window (with max-lateness) ended \(ISO8601.format(expiresAt, offsetSeconds: 0)), "
            + "claimed \(ISO8601.format(now, offsetSeconds: 0)) after \(r.attempts) attempt(s)"
        try db.cachedStatement(
            sql: "UPDATE outbox SET state = 'dropped', reason = ?, updated_at = ? WHERE message_id = ?"
        ).execute(arguments: [reason, now.milliseconds, r.messageId])
        _ = try insertDropped(
            DroppedMessage(
                messageId: r.messageId, rule: r.rule, customer: r.customer, reason: reason, detail: detail,
                at: now),
            in: db)
    }

    /// The channels that have claimable rows, one index probe each (a skip scan) rather than a pass over rows.
    static func claimableChannels(in db: Database) throws -> [String] {
        let first = try db.cachedStatement(
            sql: """
                SELECT channel FROM outbox INDEXED BY outbox_claimable_channel
                WHERE state IN ('pending', 'retry') ORDER BY channel LIMIT 1
                """)
        let next = try db.cachedStatement(
            sql: """
                SELECT channel FROM outbox INDEXED BY outbox_claimable_channel
                WHERE state IN ('pending', 'retry') AND channel > ? ORDER BY channel LIMIT 1
                """)
        var channels: [String] = []
        var found = try String.fetchOne(first)
        while let channel = found {
            channels.append(channel)
            found = try String.fetchOne(next, arguments: [channel])
        }
        return channels
    }

    /// Records one outcome and closes the open attempt; throws ``StoreError`` (changing nothing) when the
    /// row is missing or not in flight.
    static func settle(_ s: SettledAttempt, in db: Database) throws {
        let messageId = s.messageId
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql:
                        "SELECT state, attempts, rule, CAST(customer AS BLOB) FROM outbox WHERE message_id = ?"
                ),
                arguments: [messageId])
        else { throw StoreError.unknownMessage(messageId) }
        let stateName: String = row[0]
        guard let state = OutboxState(rawValue: stateName) else {
            throw StoreError.corrupt("outbox state '\(stateName)'")
        }
        guard state == .sending else { throw StoreError.notInFlight(messageId: messageId, state: state) }
        let attempts: Int = row[1]
        let ms = s.at.milliseconds
        switch s.outcome {
        case .delivered(let providerId, let answer):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'delivered', provider_id = ?, last_answer = ?, updated_at = ?
                    WHERE message_id = ?
                    """
            ).execute(arguments: [providerId, answer, ms, messageId])
        case .retry(let next, let answer):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'retry', next_attempt_at = ?, last_answer = ?, updated_at = ?
                    WHERE message_id = ?
                    """
            ).execute(arguments: [next.milliseconds, answer, ms, messageId])
        case .dead(let reason, let answer):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'dead', reason = ?, last_answer = COALESCE(?, last_answer),
                        updated_at = ?
                    WHERE message_id = ?
                    """
            ).execute(arguments: [reason, answer, ms, messageId])
        case .unknown(let answer):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 'unknown', last_answer = COALESCE(?, last_answer), updated_at = ?
                    WHERE message_id = ?
                    """
            ).execute(arguments: [answer, ms, messageId])
        case .dropped(let reason, let detail):
            try db.cachedStatement(
                sql: "UPDATE outbox SET state = 'dropped', reason = ?, updated_at = ? WHERE message_id = ?"
            ).execute(arguments: [reason, ms, messageId])
            _ = try insertDropped(
                DroppedMessage(
                    messageId: messageId, rule: row[2], customer: String(exactText: row[3]), reason: reason,
                    detail: detail,
                    at: s.at),
                in: db)
        }
        let answer: String? =
            switch s.outcome {
            case .dead(let reason, let answer): answer ?? reason
            case .dropped(let reason, let detail): detail ?? reason
            default: s.outcome.answer
            }
        try closeAttempt(
            messageId: messageId, attempt: attempts, outcome: s.outcome.state.rawValue, answer: answer,
            at: s.at,
            in: db)
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
            try Row.fetchOne(
                db, sql: "SELECT \(Self.outboxColumns) FROM outbox WHERE message_id = ?",
                arguments: [messageId]
            )
            .map(OutboxRow.init(row:))
        }
    }

    /// Outbox rows, latest send time first, of one state or every state.
    public func outboxRows(state: OutboxState?, limit: Int) async throws -> [OutboxRow] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.outboxColumns) FROM outbox WHERE (? IS NULL OR state = ?) "
                    + "ORDER BY send_at DESC, message_id LIMIT ?",
                arguments: [state?.rawValue, state?.rawValue, max(0, limit)]
            ).map(OutboxRow.init(row:))
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
                db,
                sql:
                    "SELECT MIN(next_attempt_at) FROM outbox INDEXED BY outbox_claimable WHERE state IN ('pending', 'retry')"
            ).map(Instant.init(milliseconds:))
        }
    }

    static func closeAttempt(
        messageId: String, attempt: Int, outcome: String, answer: String?, at: Instant, in db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE outbox_attempts SET finished_at = ?, outcome = ?, answer = ?
                WHERE message_id = ? AND attempt = ? AND finished_at IS NULL
                """
        ).execute(arguments: [at.milliseconds, outcome, answer, messageId, attempt])
    }
}
