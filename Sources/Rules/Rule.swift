import TouchpointCore

/// One validated rule from a `rules/*.yaml` file: what triggers it, what cancels it, and what it sends.
public struct Rule: Sendable, Hashable {
    /// The rule's unique name.
    public var name: Located<String>
    /// Free text for people reading the rule.
    public var description: String?
    /// What starts a pending message.
    public var trigger: Trigger
    /// How long after the trigger the message is due (default 0).
    public var wait: TimeSpan
    /// Events that cancel a pending message of this rule for the same customer.
    public var unless: [CancelCondition]
    /// Whether a new trigger replaces a pending message and restarts its timer (default `true`).
    public var restart: Bool
    /// What to send and on which candidate channels.
    public var send: SendSpec
    /// `limit.once-per`: at most one message of this rule per customer in this span.
    public var oncePer: TimeSpan?
    /// Higher wins when caps force a choice between messages due together (default 0).
    public var priority: Int
    /// Exempt from frequency caps, quiet hours and marketing unsubscribes (default `false`).
    public var transactional: Bool
    /// Where the rule's mapping starts.
    public var location: SourceLocation
    /// `holdout`: the share of customers (0…1) kept from this rule as a control group; `nil` takes the
    /// config's. Never applied to a transactional rule.
    public var holdout: Double?
    /// `goal`: the conversion `touchpoint report` measures for this rule.
    public var goal: Goal?

    /// A rule with every field given; defaults match the YAML defaults.
    public init(
        name: Located<String>, description: String? = nil, trigger: Trigger, wait: TimeSpan = .zero,
        unless: [CancelCondition] = [], restart: Bool = true, send: SendSpec, oncePer: TimeSpan? = nil,
        priority: Int = 0, transactional: Bool = false, location: SourceLocation
    ) {
        self.name = name
        self.description = description
        self.trigger = trigger
        self.wait = wait
        self.unless = unless
        self.restart = restart
        self.send = send
        self.oncePer = oncePer
        self.priority = priority
        self.transactional = transactional
        self.location = location
    }
}
