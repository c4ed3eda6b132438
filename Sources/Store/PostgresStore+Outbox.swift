import Foundation
import PostgresNIO
import Synchronization
import TouchpointCore

extension PostgresStore {
    static let outboxColumns = """
        message_id, rule, customer, channel, adapter_kind, send_at, prepared, state, attempts, attempts_at_requeue,
        next_attempt_at, last_answer, provider_id, reason, lease_owner, created_at, updated_at, expires_at
        """

    /// Claims due rows and opens their attempts in one transaction; not shielded from cancellation (a
    /// cancelled claim rolls back, so nothing is marked `sending` that no dispatcher will send).
    public func claimDue(
        now: Instant, limit: Int, leaseOwner: String, excludingChannels: Set<String>
    ) async throws -> [OutboxRow] {
        guard limit > 0 else { return [] }
        try Task.checkCancellation()
        let node = try nodeFence()
        do {
            return try await transaction { c, l in
                if let node { try await Self.checkNode(node, c, l) }
                let result = try await Self.claim(
                    now: now, limit: limit, owner: leaseOwner, excluding: excludingChannels, c, l)
                try Task.checkCancellation()
                return result.claimed
            }
        } catch let StoreError.fenced(why) {
            await recordRefusal("claim", why)
            throw StoreError.fenced(why)
        } catch let error as PSQLError {
            throw Self.describe(error, doing: "claim")
        } catch let lost as LostBeforeCommit {
            throw Self.describe(lost.error, doing: "claim")
        }
    }

    /// Records the outcome and closes the open attempt in one transaction.
    public func recordOutcome(messageId: String, outcome: OutboxOutcome, at: Instant) async throws {
        let cycle = try await settleAndClaim(
            [SettledAttempt(messageId: messageId, outcome: outcome, at: at)], now: at, limit: 0,
            leaseOwner: "",
            excludingChannels: [])
        if let refusal = cycle.refused.first { throw refusal }
    }

    /// Records many outcomes and claims due rows in one transaction (the dispatcher's group commit). Outcomes
    /// are recorded even if the calling task is cancelled; the claim is then skipped.
    public func settleAndClaim(
        _ settled: [SettledAttempt], now: Instant, limit: Int, leaseOwner: String,
        excludingChannels: Set<String>
    ) async throws -> ClaimCycle {
        guard !settled.isEmpty || limit > 0 else { return ClaimCycle() }
        let node = try nodeFence()
        let cancelled = CancellationFlag()
        do {
            return try await withTaskCancellationHandler {
                try await recordingTransaction { c, l in
                    if let node { try await Self.checkNode(node, c, l) }
                    var cycle = ClaimCycle()
                    cycle.refused = try await Self.settle(settled, c, l)
                    if limit > 0 && !cancelled.isSet {
                        (cycle.claimed, cycle.expired) = try await Self.claim(
                            now: now, limit: limit, owner: leaseOwner, excluding: excludingChannels, c, l)
                    }
                    return cycle
                }
            } onCancel: {
                cancelled.set()
            }
        } catch let StoreError.fenced(why) {
            await recordRefusal(settled.isEmpty ? "claim" : "outcome", why)
            throw StoreError.fenced(why)
        }
    }

    static func claim(
        now: Instant, limit: Int, owner: String, excluding: Set<String>, _ c: PostgresConnection, _ l: Logger
    ) async throws -> (claimed: [OutboxRow], expired: [String]) {
        var claimed: [OutboxRow] = []
        var expired: [String] = []
        while claimed.count < limit {
            // SKIP LOCKED: rows another node's dispatcher is claiming right now are left to it, never waited for.
            let due = try await c.rows(
                """
                SELECT \(outboxColumns) FROM outbox
                WHERE state IN ('pending', 'retry') AND next_attempt_at <= $1 AND channel <> ALL($2::text[])
                ORDER BY next_attempt_at, message_id
                LIMIT $3
                FOR UPDATE SKIP LOCKED
                """,
                [.int(now.milliseconds), .texts(excluding.sorted()), .int(Int64(limit - claimed.count))],
                logger: l
            ).map(OutboxRow.init(postgres:))
            var round: [OutboxRow] = []
            var late: [OutboxRow] = []
            for var r in due {
                if let expiresAt = r.expiresAt, now > expiresAt {
                    late.append(r)
                    continue
                }
                r.attempts += 1
                r.state = .sending
                r.leaseOwner = owner
                r.updatedAt = now
                round.append(r)
            }
            if !round.isEmpty {
                let ids = round.map(\.messageId)
                try await c.rows(
                    """
                    UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = $2, updated_at = $3
                    WHERE message_id = ANY($1::text[])
                    """, [.texts(ids), .text(owner), .int(now.milliseconds)], logger: l)
                try await c.rows(
                    """
                    INSERT INTO outbox_attempts (message_id, attempt, lease_owner, started_at)
                    SELECT id, attempt, $3, $4 FROM unnest($1::text[], $2::int4[]) AS a(id, attempt)
                    """,
                    [
                        .texts(ids), .int32s(round.map { Int32($0.attempts) }), .text(owner),
                        .int(now.milliseconds),
                    ],
                    logger: l)
                claimed += round
            }
            if !late.isEmpty {
                try await expire(late, now: now, c, l)
                expired += late.map(\.messageId)
            }
            if late.isEmpty { break }
        }
        return (claimed, expired)
    }

    /// Drops rows whose window has passed, with the dropped-message records `status` counts.
    static func expire(_ rows: [OutboxRow], now: Instant, _ c: PostgresConnection, _ l: Logger) async throws {
        let reason = SuppressionReason.windowExpired.rawValue
        try await c.rows(
            "UPDATE outbox SET state = 'dropped', reason = $2, updated_at = $3 WHERE message_id = ANY($1::text[])",
            [.texts(rows.map(\.messageId)), .text(reason), .int(now.milliseconds)], logger: l)
        let records = rows.compactMap { r -> DroppedMessage? in
            guard let expiresAt = r.expiresAt else { return nil }
            let detail =
                "window (with max-lateness) ended \(ISO8601.format(expiresAt, offsetSeconds: 0)), "
                + "claimed \(ISO8601.format(now, offsetSeconds: 0)) after \(r.attempts) attempt(s)"
            return DroppedMessage(
                messageId: r.messageId, rule: r.rule, customer: r.customer, reason: reason, detail: detail,
                at: now)
        }
        _ = try await insertDropped(records, c, l)
    }

    /// Records outcomes of rows in `sending` and closes their attempts, in bulk; returns one refusal per outcome
    /// whose row is missing or not in flight (those change nothing). A message settled twice in one call: the
    /// later outcomes find it settled and are refused, as they would be one by one.
    static func settle(_ settled: [SettledAttempt], _ c: PostgresConnection, _ l: Logger) async throws
        -> [StoreError]
    {
        guard !settled.isEmpty else { return [] }
        var first: [SettledAttempt] = []
        var again: [SettledAttempt] = []
        var ids = Set<String>()
        for s in settled {
            if ids.insert(s.messageId).inserted { first.append(s) } else { again.append(s) }
        }
        var states: [String] = []
        var providers = OptionalTexts()
        var answers = OptionalTexts()
        var next = OptionalInts()
        var reasons = OptionalTexts()
        var attemptAnswers = OptionalTexts()
        for s in first {
            states.append(s.outcome.state.rawValue)
            switch s.outcome {
            case .delivered(let providerId, let answer):
                providers.append(providerId)
                answers.append(answer)
                next.append(nil)
                reasons.append(nil)
                attemptAnswers.append(answer)
            case .retry(let at, let answer):
                providers.append(nil)
                answers.append(answer)
                next.append(at.milliseconds)
                reasons.append(nil)
                attemptAnswers.append(answer)
            case .dead(let reason, let answer):
                providers.append(nil)
                answers.append(answer)
                next.append(nil)
                reasons.append(reason)
                attemptAnswers.append(answer ?? reason)
            case .unknown(let answer):
                providers.append(nil)
                answers.append(answer)
                next.append(nil)
                reasons.append(nil)
                attemptAnswers.append(answer)
            case .dropped(let reason, let detail):
                providers.append(nil)
                answers.append(nil)
                next.append(nil)
                reasons.append(reason)
                attemptAnswers.append(detail ?? reason)
            }
        }
        // delivered/retry: last_answer is the answer as given; dead/unknown keep the previous one when there is none.
        let rows = try await c.rows(
            """
            WITH s AS (
                SELECT id, state, CASE WHEN pn THEN NULL ELSE provider END AS provider,
                    CASE WHEN an THEN NULL ELSE answer END AS answer, NULLIF(next_at, $13) AS next_at,
                    CASE WHEN rn THEN NULL ELSE reason END AS reason,
                    CASE WHEN xn THEN NULL ELSE attempt_answer END AS attempt_answer, at
                FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::bool[], $7::int8[],
                    $8::text[], $9::bool[], $10::text[], $11::bool[], $12::int8[])
                    AS x(id, state, provider, pn, answer, an, next_at, reason, rn, attempt_answer, xn, at)
            ), u AS (
                UPDATE outbox o SET state = s.state,
                    provider_id = CASE WHEN s.state = 'delivered' THEN s.provider ELSE o.provider_id END,
                    next_attempt_at = CASE WHEN s.state = 'retry' THEN s.next_at ELSE o.next_attempt_at END,
                    reason = CASE WHEN s.state IN ('dead', 'dropped') THEN s.reason ELSE o.reason END,
                    last_answer = CASE WHEN s.state IN ('delivered', 'retry') THEN s.answer
                        WHEN s.state IN ('dead', 'unknown') THEN COALESCE(s.answer, o.last_answer)
                        ELSE o.last_answer END,
                    updated_at = s.at
                FROM s WHERE o.message_id = s.id AND o.state = 'sending'
                RETURNING o.message_id, o.attempts, o.rule, o.customer, s.state, s.reason, s.attempt_answer, s.at
            ), a AS (
                UPDATE outbox_attempts t SET finished_at = u.at, outcome = u.state, answer = u.attempt_answer
                FROM u WHERE t.message_id = u.message_id AND t.attempt = u.attempts AND t.finished_at IS NULL
            )
            SELECT message_id, rule, customer, state, reason, attempt_answer, at FROM u
            """,
            [
                .texts(first.map(\.messageId)), .texts(states), .texts(providers.values),
                .bools(providers.nulls),
                .texts(answers.values), .bools(answers.nulls), .ints(next.values), .texts(reasons.values),
                .bools(reasons.nulls), .texts(attemptAnswers.values), .bools(attemptAnswers.nulls),
                .ints(first.map(\.at.milliseconds)), .int(OptionalInts.null),
            ], logger: l)
        var recorded = Set<String>()
        var dropped: [DroppedMessage] = []
        for row in rows {
            let (id, rule, customer, state, reason, detail, at) = try row.decode(
                (String, String, ByteBuffer, String, String?, String?, Int64).self)
            recorded.insert(id)
            if state == OutboxState.dropped.rawValue {
                dropped.append(
                    DroppedMessage(
                        messageId: id, rule: rule, customer: String(exactText: customer.data),
                        reason: reason ?? "dropped", detail: detail, at: Instant(milliseconds: at)))
            }
        }
        if !dropped.isEmpty { _ = try await insertDropped(dropped, c, l) }
        let unrecorded = first.filter { !recorded.contains($0.messageId) } + again
        guard !unrecorded.isEmpty else { return [] }
        var current: [String: String] = [:]
        for row in try await c.rows(
            "SELECT message_id, state FROM outbox WHERE message_id = ANY($1::text[])",
            [.texts(unrecorded.map(\.messageId))], logger: l)
        {
            let (id, state) = try row.decode((String, String).self)
            current[id] = state
        }
        return try unrecorded.map { s in
            guard let name = current[s.messageId] else { return StoreError.unknownMessage(s.messageId) }
            guard let state = OutboxState(rawValue: name) else {
                throw StoreError.corrupt("outbox state '\(name)'")
            }
            return StoreError.notInFlight(messageId: s.messageId, state: state)
        }
    }

    /// Settles rows left in `sending` by a crash.
    ///
    /// A single daemon settles every such row. A cluster node settles those its own earlier incarnations left
    /// (it just took its node row over under a new epoch); a dead node's are settled by whoever declares it dead
    /// (``sweepDeadNodes(resendable:)``).
    public func recoverInFlight(resendable: Set<String>, at: Instant) async throws -> RecoveryReport {
        let owner = cluster?.node
        return try await recordingTransaction { c, l in
            try await Self.recover(owner: owner, resendable: resendable, at: at, c, l)
        }
    }

    /// Settles `sending` rows of `owner` (every row when `nil`): re-queued where the peer deduplicates, `unknown`
    /// otherwise, their open attempts closed as `interrupted`.
    static func recover(
        owner: String?, resendable: Set<String>, at: Instant, _ c: PostgresConnection, _ l: Logger
    ) async throws -> RecoveryReport {
        var report = RecoveryReport()
        let rows =
            if let owner {
                try await c.rows(
                    """
                    SELECT message_id, adapter_kind, attempts FROM outbox WHERE state = 'sending' AND lease_owner = $1
                    ORDER BY message_id FOR UPDATE
                    """, [.text(owner)], logger: l)
            } else {
                try await c.rows(
                    """
                    SELECT message_id, adapter_kind, attempts FROM outbox WHERE state = 'sending'
                    ORDER BY message_id FOR UPDATE
                    """, logger: l)
            }
        var requeued: [String] = []
        var unknown: [(id: String, kind: String)] = []
        var attempts: [(String, Int32)] = []
        for row in rows {
            let (id, kind, attempt) = try row.decode((String, String, Int32).self)
            attempts.append((id, attempt))
            if resendable.contains(kind) { requeued.append(id) } else { unknown.append((id, kind)) }
        }
        guard !attempts.isEmpty else { return report }
        try await c.rows(
            """
            UPDATE outbox_attempts t SET finished_at = $3, outcome = $4
            FROM unnest($1::text[], $2::int4[]) AS x(id, attempt)
            WHERE t.message_id = x.id AND t.attempt = x.attempt AND t.finished_at IS NULL
            """,
            [
                .texts(attempts.map(\.0)), .int32s(attempts.map(\.1)), .int(at.milliseconds),
                .text(AttemptRecord.interrupted),
            ], logger: l)
        if !requeued.isEmpty {
            try await c.rows(
                """
                UPDATE outbox SET state = 'pending', next_attempt_at = $2, lease_owner = NULL, updated_at = $2
                WHERE message_id = ANY($1::text[])
                """, [.texts(requeued), .int(at.milliseconds)], logger: l)
        }
        if !unknown.isEmpty {
            try await c.rows(
                """
                UPDATE outbox o SET state = 'unknown',
                    reason = 'in flight at a crash; ''' || x.kind || ''' peers cannot deduplicate, so it is not re-sent',
                    updated_at = $3
                FROM unnest($1::text[], $2::text[]) AS x(id, kind) WHERE o.message_id = x.id
                """, [.texts(unknown.map(\.id)), .texts(unknown.map(\.kind)), .int(at.milliseconds)],
                logger: l)
        }
        report.requeued = requeued.sorted()
        report.unknown = unknown.map(\.id).sorted()
        return report
    }

    /// Re-queues dead letters (and, by explicit id, an `unknown` row), due at `at`, with a fresh attempt budget.
    @discardableResult
    public func retryDead(messageId: String?, at: Instant) async throws -> Int {
        try await recordingTransaction { c, l in
            let set = """
                UPDATE outbox SET state = 'pending', next_attempt_at = $1, attempts_at_requeue = attempts, reason = NULL,
                    lease_owner = NULL, updated_at = $1
                """
            if let messageId {
                return try await c.rows(
                    set + " WHERE message_id = $2 AND state IN ('dead', 'unknown') RETURNING 1",
                    [.int(at.milliseconds), .text(messageId)], logger: l
                ).count
            }
            return try await c.rows(
                set + " WHERE state = 'dead' RETURNING 1", [.int(at.milliseconds)], logger: l
            ).count
        }
    }

    /// One outbox row by message id.
    public func outboxRow(messageId: String) async throws -> OutboxRow? {
        try await snapshot { c, l in
            try await c.rows(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE message_id = $1", [.text(messageId)],
                logger: l
            ).first.map(OutboxRow.init(postgres:))
        }
    }

    /// Outbox rows, latest send time first, of one state or every state.
    public func outboxRows(state: OutboxState?, limit: Int) async throws -> [OutboxRow] {
        try await snapshot { c, l in
            if let state {
                return try await c.rows(
                    "SELECT \(Self.outboxColumns) FROM outbox WHERE state = $1 ORDER BY send_at DESC, message_id LIMIT $2",
                    [.text(state.rawValue), .int(Int64(max(0, limit)))], logger: l
                ).map(OutboxRow.init(postgres:))
            }
            return try await c.rows(
                "SELECT \(Self.outboxColumns) FROM outbox ORDER BY send_at DESC, message_id LIMIT $1",
                [.int(Int64(max(0, limit)))], logger: l
            ).map(OutboxRow.init(postgres:))
        }
    }

    /// The attempt records of one message, in attempt order.
    public func attempts(messageId: String) async throws -> [AttemptRecord] {
        try await snapshot { c, l in
            try await c.rows(
                """
                SELECT message_id, attempt, lease_owner, started_at, finished_at, outcome, answer FROM outbox_attempts
                WHERE message_id = $1 ORDER BY attempt
                """, [.text(messageId)], logger: l
            ).map { row in
                let (id, attempt, owner, started, finished, outcome, answer) = try row.decode(
                    (String, Int32, String, Int64, Int64?, String?, String?).self)
                return AttemptRecord(
                    messageId: id, attempt: Int(attempt), leaseOwner: owner,
                    startedAt: Instant(milliseconds: started),
                    finishedAt: finished.map(Instant.init(milliseconds:)), outcome: outcome, answer: answer)
            }
        }
    }

    /// When the earliest claimable row falls due.
    public func nextDueAt() async throws -> Instant? {
        try await snapshot { c, l in
            try await c.rows(
                "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('pending', 'retry')", logger: l
            ).first?.decode(Int64?.self).map(Instant.init(milliseconds:))
        }
    }
}

/// Set when the task that asked for a claim is cancelled; read inside the transaction.
private final class CancellationFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

extension OutboxRow {
    /// Decodes `SELECT \(PostgresStore.outboxColumns)`.
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        let stateName = try r[7].decode(String.self)
        guard let state = OutboxState(rawValue: stateName) else {
            throw StoreError.corrupt("outbox state '\(stateName)'")
        }
        self.init(
            messageId: try r[0].decode(String.self), rule: try r[1].decode(String.self),
            customer: String(exactText: try r[2].decode(ByteBuffer.self).data),
            channel: try r[3].decode(String.self),
            adapterKind: try r[4].decode(String.self),
            sendAt: Instant(milliseconds: try r[5].decode(Int64.self)),
            prepared: try r[6].decode(ByteBuffer.self).data, state: state,
            attempts: Int(try r[8].decode(Int32.self)),
            attemptsAtRequeue: Int(try r[9].decode(Int32.self)),
            nextAttemptAt: Instant(milliseconds: try r[10].decode(Int64.self)),
            lastAnswer: try r[11].decode(String?.self), providerId: try r[12].decode(String?.self),
            reason: try r[13].decode(String?.self), leaseOwner: try r[14].decode(String?.self),
            createdAt: Instant(milliseconds: try r[15].decode(Int64.self)),
            updatedAt: Instant(milliseconds: try r[16].decode(Int64.self)),
            expiresAt: try r[17].decode(Int64?.self).map(Instant.init(milliseconds:)))
    }
}
