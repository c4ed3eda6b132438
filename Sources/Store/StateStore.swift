import Foundation
import TouchpointCore

/// The daemon's durable memory: engine state, file offsets, processed message ids,
/// quarantined lines and the outbox.
///
/// The engine owns the meaning of its state; a store only keeps serialized blobs per customer
/// and a few global blobs, and commits them with the offsets and new outbox rows in one
/// transaction, so a restart resumes exactly where the last commit left off.
///
/// Every method is one transaction. Writes that record something that already happened in the
/// world (``commit(_:)``, ``recordOutcome(messageId:outcome:at:)``, ``recoverInFlight(resendable:at:)``,
/// ``settleAndClaim(_:now:limit:leaseOwner:excludingChannels:)``'s outcomes,
/// ``retryDead(messageId:at:)``) finish even if the calling task is cancelled, so a graceful
/// shutdown never loses an outcome; ``claimDue(now:limit:leaseOwner:)`` honours cancellation
/// (a cancelled claim rolls back and sends nothing).
public protocol StateStore: Sendable {
    /// Everything needed to rebuild the engine at start-up.
    func load() async throws -> StoredState

    /// Records that a daemon has started on this store (the first call's time is kept), so that a store
    /// deleted and created again can be told from one that has simply not seen any events yet.
    func recordFirstStart(at: Instant) async throws

    /// The subset of `ids` already recorded as processed event message ids.
    func hasSeen(_ ids: [String]) async throws -> Set<String>

    /// Commits one batch of applied events in a single transaction: all of it or none of it.
    @discardableResult
    func commit(_ batch: Batch) async throws -> CommitReport

    /// Claims up to `limit` rows in `pending` or `retry` whose `nextAttemptAt <= now`, oldest due first.
    ///
    /// In the same transaction each claimed row becomes `sending` with `attempts + 1`, and an
    /// attempt record "attempt n started at `now`" is inserted: nothing is ever sent without a
    /// committed attempt record. The returned rows carry their new state. Rows of a channel in
    /// `excludingChannels` are left alone (the dispatcher's way to keep a hanging peer from taking
    /// every send slot).
    func claimDue(
        now: Instant, limit: Int, leaseOwner: String, excludingChannels: Set<String>
    ) async throws -> [OutboxRow]

    /// Records the outcome of the open attempt of a row in `sending`, and closes that attempt.
    ///
    /// Throws ``StoreError/notInFlight(messageId:state:)`` when the row is not in `sending`
    /// (already recorded, or recovered at start-up), and ``StoreError/unknownMessage(_:)`` when
    /// there is no such row.
    func recordOutcome(messageId: String, outcome: OutboxOutcome, at: Instant) async throws

    /// Records the outcomes of many attempts and claims up to `limit` due rows, all in one transaction.
    ///
    /// The dispatcher's group commit: one commit covers every outcome that arrived since the last one
    /// and the claims for the slots they free. Each outcome is recorded as by
    /// ``recordOutcome(messageId:outcome:at:)``, except that one the store refuses (the row is not in
    /// `sending`, or missing) is listed in ``ClaimCycle/refused`` and the others are still recorded.
    /// Claimed rows are as from ``claimDue(now:limit:leaseOwner:excludingChannels:)``: their attempts are
    /// opened in this same transaction, before anything is sent. The outcomes are recorded even if the
    /// calling task is cancelled; the claim is then skipped. With no outcomes and `limit` 0 it does nothing.
    func settleAndClaim(
        _ settled: [SettledAttempt], now: Instant, limit: Int, leaseOwner: String,
        excludingChannels: Set<String>
    ) async throws -> ClaimCycle

    /// At start-up, settles rows left in `sending` by a crash.
    ///
    /// Rows whose `adapterKind` is in `resendable` (the peer deduplicates by message id) go back
    /// to `pending`, due at `at`, with the same id and prepared bytes; the others become `unknown`,
    /// never silently re-sent. Their open attempts are closed as `interrupted`.
    func recoverInFlight(resendable: Set<String>, at: Instant) async throws -> RecoveryReport

    /// Re-queues dead letters: `nil` re-queues every `dead` row; a message id re-queues that row
    /// if it is `dead` or `unknown` (an operator's explicit decision). Returns how many rows moved.
    @discardableResult
    func retryDead(messageId: String?, at: Instant) async throws -> Int

    /// Counts for `touchpoint status`, with the latest `deadLetterLimit` dead letters.
    func status(deadLetterLimit: Int) async throws -> StoreStatus

    /// One global blob by key (`touchpoint status` reads the sequencer's without loading every customer).
    func global(_ key: String) async throws -> Data?

    /// The latest `limit` quarantined lines, newest first.
    func quarantined(limit: Int) async throws -> [QuarantinedLine]

    /// One outbox row by message id.
    func outboxRow(messageId: String) async throws -> OutboxRow?

    /// The attempt records of one message, in attempt order.
    func attempts(messageId: String) async throws -> [AttemptRecord]

    /// Outbox rows, latest send time first, of one state or every state (`touchpoint outbox list`).
    func outboxRows(state: OutboxState?, limit: Int) async throws -> [OutboxRow]

    /// The earliest `nextAttemptAt` among `pending` and `retry` rows: when the dispatcher should next wake.
    func nextDueAt() async throws -> Instant?
}

extension StateStore {
    /// Claims due rows of every channel; see ``claimDue(now:limit:leaseOwner:excludingChannels:)``.
    public func claimDue(now: Instant, limit: Int, leaseOwner: String) async throws -> [OutboxRow] {
        try await claimDue(now: now, limit: limit, leaseOwner: leaseOwner, excludingChannels: [])
    }

    /// Counts for `touchpoint status`, with the latest 50 dead letters.
    public func status() async throws -> StoreStatus {
        try await status(deadLetterLimit: 50)
    }
}
