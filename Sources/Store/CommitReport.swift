/// What a ``StateStore/commit(_:)`` actually changed, for logs and tests.
public struct CommitReport: Sendable, Hashable {
    /// New outbox rows inserted.
    public var outboxInserted: Int = 0
    /// Outbox rows ignored because their message id was already there (a replayed decision).
    public var outboxIgnored: Int = 0
    /// Withdrawn rows that were still claimable and became `dropped`.
    public var withdrawn: Int = 0
    /// New dropped-message records.
    public var droppedInserted: Int = 0
    /// New processed message ids.
    public var seenInserted: Int = 0

    /// An empty report.
    public init() {}
}
