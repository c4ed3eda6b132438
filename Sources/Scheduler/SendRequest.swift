import TouchpointCore

/// One due message, as the engine hands it to the scheduler.
public struct SendRequest: Sendable, Hashable {
    /// The stable message id; it seeds the channel exploration.
    public var messageId: String
    /// The rule that produced the message.
    public var rule: String
    /// The rule's candidate channels, in the rule's order.
    public var candidates: [Channel]
    /// When the message became due.
    public var due: Instant
    /// The window after `due` inside which the send time is chosen.
    public var within: TimeSpan
    /// Exempt from quiet hours, the frequency cap and marketing opt-outs.
    public var transactional: Bool
    /// The rule's `limit.once-per`, if any.
    public var oncePer: TimeSpan?
    /// The rule's priority; the engine uses it to order messages due together.
    public var priority: Int
    /// The rule's `send.urgency`: a send this long after `due` is worth half as much (`nil`: waiting costs
    /// nothing inside the window).
    public var urgency: TimeSpan?

    /// A request; `within` defaults to 0 (send at `due`).
    public init(
        messageId: String, rule: String, candidates: [Channel], due: Instant, within: TimeSpan = .zero,
        transactional: Bool = false, oncePer: TimeSpan? = nil, priority: Int = 0, urgency: TimeSpan? = nil
    ) {
        self.urgency = urgency
        self.messageId = messageId
        self.rule = rule
        self.candidates = candidates
        self.due = due
        self.within = within
        self.transactional = transactional
        self.oncePer = oncePer
        self.priority = priority
    }
}
