import TouchpointCore

/// The outcome of one send attempt, to be recorded together with others in one transaction.
public struct SettledAttempt: Sendable, Hashable {
    /// The message whose open attempt it closes.
    public var messageId: String
    /// What came of the attempt.
    public var outcome: OutboxOutcome
    /// When the outcome was known.
    public var at: Instant

    /// An outcome to record.
    public init(messageId: String, outcome: OutboxOutcome, at: Instant) {
        self.messageId = messageId
        self.outcome = outcome
        self.at = at
    }
}
