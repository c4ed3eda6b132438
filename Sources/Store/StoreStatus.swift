/// The store's state for `touchpoint status`.
public struct StoreStatus: Sendable, Hashable {
    /// Events applied since the store was created.
    public var eventsApplied: Int
    /// Quarantined lines.
    public var quarantined: Int
    /// Customers with stored state.
    public var customers: Int
    /// Processed message ids recorded.
    public var seenMessages: Int
    /// The pending timer count last committed by the engine, if any.
    public var pendingTimers: Int?
    /// Outbox rows per state; every state is present, zero when empty.
    public var outbox: [OutboxState: Int]
    /// Dropped-message records.
    public var dropped: Int
    /// The latest dead letters, newest first.
    public var deadLetters: [DeadLetter]
    /// File positions, by path order.
    public var offsets: [FileOffset]
    /// Rows waiting to go (pending, retry or sending) per channel: what a paced channel's drain time counts.
    public var queuedByChannel: [String: Int] = [:]

    /// A status.
    public init(
        eventsApplied: Int, quarantined: Int, customers: Int, seenMessages: Int, pendingTimers: Int?,
        outbox: [OutboxState: Int], dropped: Int, deadLetters: [DeadLetter], offsets: [FileOffset]
    ) {
        self.eventsApplied = eventsApplied
        self.quarantined = quarantined
        self.customers = customers
        self.seenMessages = seenMessages
        self.pendingTimers = pendingTimers
        self.outbox = outbox
        self.dropped = dropped
        self.deadLetters = deadLetters
        self.offsets = offsets
    }
}
