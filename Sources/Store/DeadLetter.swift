import TouchpointCore

/// A message given up on, as `touchpoint status` lists it.
public struct DeadLetter: Sendable, Hashable {
    /// The message id.
    public var messageId: String
    /// The rule that decided it.
    public var rule: String
    /// The customer it was for.
    public var customer: String
    /// The channel name.
    public var channel: String
    /// Attempts made.
    public var attempts: Int
    /// Why it was given up.
    public var reason: String?
    /// The peer's last answer.
    public var lastAnswer: String?
    /// When it was given up.
    public var at: Instant

    /// A dead letter.
    public init(
        messageId: String, rule: String, customer: String, channel: String, attempts: Int, reason: String?,
        lastAnswer: String?, at: Instant
    ) {
        self.messageId = messageId
        self.rule = rule
        self.customer = customer
        self.channel = channel
        self.attempts = attempts
        self.reason = reason
        self.lastAnswer = lastAnswer
        self.at = at
    }
}
