import Foundation
import TouchpointCore

/// A decided message waiting for, undergoing or done with delivery.
///
/// `prepared` holds the exact bytes handed to the adapter, persisted so a retry is byte-identical.
public struct OutboxRow: Sendable, Hashable {
    /// The stable message id, sent as the idempotency key.
    public var messageId: String
    /// The rule that decided it.
    public var rule: String
    /// The customer it is for.
    public var customer: String
    /// The channel name from the configuration (e.g. `"sms"`).
    public var channel: String
    /// The adapter kind that sends it (e.g. `"webhook"`, `"smtp"`): decides crash recovery.
    public var adapterKind: String
    /// The send time the scheduler chose.
    public var sendAt: Instant
    /// The exact bytes to send.
    public var prepared: Data
    /// Where the row is in its life.
    public var state: OutboxState
    /// Attempts started so far (cumulative, never reset; attempt records are numbered 1...attempts).
    public var attempts: Int
    /// Value of `attempts` when an operator last re-queued the row; a retry policy counts
    /// `attempts - attemptsAtRequeue` so a re-queued dead letter gets a fresh budget.
    public var attemptsAtRequeue: Int
    /// When a dispatcher may next claim it.
    public var nextAttemptAt: Instant
    /// The peer's last answer, as recorded.
    public var lastAnswer: String?
    /// The peer's id for the delivered message, if it gave one.
    public var providerId: String?
    /// Why the row is `dead` or `dropped`.
    public var reason: String?
    /// Who claimed it last.
    public var leaseOwner: String?
    /// When it was decided.
    public var createdAt: Instant
    /// When it last changed.
    public var updatedAt: Instant
    /// The last instant it may still be sent (its window plus `max-lateness`): a row claimed later is
    /// dropped as `window-expired` instead, at every attempt and after a restart. `nil`: no limit.
    public var expiresAt: Instant?

    /// A row with every field given.
    public init(
        messageId: String, rule: String, customer: String, channel: String, adapterKind: String,
        sendAt: Instant,
        prepared: Data, state: OutboxState, attempts: Int, attemptsAtRequeue: Int = 0, nextAttemptAt: Instant,
        lastAnswer: String? = nil, providerId: String? = nil, reason: String? = nil,
        leaseOwner: String? = nil,
        createdAt: Instant, updatedAt: Instant, expiresAt: Instant? = nil
    ) {
        self.messageId = messageId
        self.rule = rule
        self.customer = customer
        self.channel = channel
        self.adapterKind = adapterKind
        self.sendAt = sendAt
        self.prepared = prepared
        self.state = state
        self.attempts = attempts
        self.attemptsAtRequeue = attemptsAtRequeue
        self.nextAttemptAt = nextAttemptAt
        self.lastAnswer = lastAnswer
        self.providerId = providerId
        self.reason = reason
        self.leaseOwner = leaseOwner
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
    }

    /// A freshly decided row: `pending`, no attempts, due at `sendAt`.
    public static func pending(
        messageId: String, rule: String, customer: String, channel: String, adapterKind: String,
        sendAt: Instant,
        prepared: Data, createdAt: Instant, expiresAt: Instant? = nil
    ) -> OutboxRow {
        OutboxRow(
            messageId: messageId, rule: rule, customer: customer, channel: channel, adapterKind: adapterKind,
            sendAt: sendAt, prepared: prepared, state: .pending, attempts: 0, nextAttemptAt: sendAt,
            createdAt: createdAt, updatedAt: createdAt, expiresAt: expiresAt)
    }
}
