import TouchpointCore

/// A processed event's message id and when it was applied.
public struct SeenMessage: Sendable, Hashable {
    /// The event's `messageId`.
    public var id: String
    /// When it was applied.
    public var at: Instant

    /// A processed event id.
    public init(id: String, at: Instant) {
        self.id = id
        self.at = at
    }
}
