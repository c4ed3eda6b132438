import TouchpointCore

/// One delivery attempt: opened when the row was claimed, closed when the outcome was recorded.
public struct AttemptRecord: Sendable, Hashable {
    /// The message.
    public var messageId: String
    /// The attempt number, from 1.
    public var attempt: Int
    /// Who claimed it.
    public var leaseOwner: String
    /// When it was claimed.
    public var startedAt: Instant
    /// When its outcome was recorded; `nil` while open.
    public var finishedAt: Instant?
    /// The outcome: an ``OutboxState`` raw value, or `interrupted` when a crash cut it short; `nil` while open.
    public var outcome: String?
    /// The peer's answer or the reason, if any.
    public var answer: String?

    /// An attempt record.
    public init(
        messageId: String, attempt: Int, leaseOwner: String, startedAt: Instant, finishedAt: Instant? = nil,
        outcome: String? = nil, answer: String? = nil
    ) {
        self.messageId = messageId
        self.attempt = attempt
        self.leaseOwner = leaseOwner
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.answer = answer
    }

    /// The outcome recorded for attempts cut short by a crash.
    public static let interrupted = "interrupted"
}
