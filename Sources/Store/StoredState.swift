import Foundation
import TouchpointCore

/// What ``StateStore/load()`` returns: everything needed to rebuild the engine at start-up.
///
/// Processed message ids are not loaded (there may be millions); check them with ``StateStore/hasSeen(_:)``.
public struct StoredState: Sendable, Hashable {
    /// Engine-serialized state per customer id.
    public var customers: [String: Data]
    /// Global blobs by key.
    public var globals: [String: Data]
    /// File positions by path.
    public var offsets: [String: FileOffset]
    /// How many processed message ids are recorded.
    public var seenCount: Int
    /// Events applied since the store was created.
    public var eventsApplied: Int
    /// The pending timer count last committed, if any was.
    public var pendingTimers: Int?
    /// When a daemon first started on this store (``StateStore/recordFirstStart(at:)``); `nil` for a new store.
    public var firstStartedAt: Instant?

    /// Whether no daemon has ever run on this store and it holds nothing: what a deleted store looks like
    /// when it is created again.
    public var isNew: Bool {
        firstStartedAt == nil && eventsApplied == 0 && offsets.isEmpty && customers.isEmpty && seenCount == 0
    }

    /// A loaded state.
    public init(
        customers: [String: Data] = [:], globals: [String: Data] = [:], offsets: [String: FileOffset] = [:],
        seenCount: Int = 0, eventsApplied: Int = 0, pendingTimers: Int? = nil
    ) {
        self.customers = customers
        self.globals = globals
        self.offsets = offsets
        self.seenCount = seenCount
        self.eventsApplied = eventsApplied
        self.pendingTimers = pendingTimers
    }
}
