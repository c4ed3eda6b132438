import Foundation
import TouchpointCore

/// Everything one round of applied events changed, committed by ``StateStore/commit(_:)`` in one transaction.
public struct Batch: Sendable, Hashable {
    /// Engine-serialized state per customer id, upserted.
    public var customers: [String: Data]
    /// Customer ids whose state is deleted.
    public var removedCustomers: [String]
    /// Small global blobs (e.g. `"population"`, `"engine"`), upserted by key.
    public var globals: [String: Data]
    /// Processed event message ids; recording one twice is harmless.
    public var seenMessageIds: [SeenMessage]
    /// Where each events file has been read up to, upserted by path.
    public var offsets: [FileOffset]
    /// Paths whose offsets are deleted (before ``offsets`` are written): a file renamed took its offset along.
    public var removedOffsets: [String]
    /// Malformed lines, with the reason.
    public var quarantine: [QuarantinedLine]
    /// New outbox rows; a row whose message id already exists is ignored, so a replayed
    /// decision never duplicates or resets a row.
    public var outbox: [OutboxRow]
    /// Decisions that were suppressed, with the reason; ignored when the message id is already recorded.
    public var dropped: [DroppedMessage]
    /// Outbox rows withdrawn before they were sent (e.g. cancelled while waiting for their send time).
    ///
    /// A row still in `pending` or `retry` becomes `dropped` and its reason is recorded in the
    /// dropped list; a row already claimed, delivered or settled is left alone.
    public var withdrawn: [DroppedMessage]
    /// Events applied by this batch, added to the running total.
    public var eventsApplied: Int
    /// The engine's pending timer count after this batch, when it knows it; `nil` keeps the stored value.
    public var pendingTimers: Int?

    /// A batch; every part defaults to empty.
    public init(
        customers: [String: Data] = [:], removedCustomers: [String] = [], globals: [String: Data] = [:],
        seenMessageIds: [SeenMessage] = [], offsets: [FileOffset] = [], removedOffsets: [String] = [],
        quarantine: [QuarantinedLine] = [],
        outbox: [OutboxRow] = [], dropped: [DroppedMessage] = [], withdrawn: [DroppedMessage] = [],
        eventsApplied: Int = 0, pendingTimers: Int? = nil
    ) {
        self.customers = customers
        self.removedCustomers = removedCustomers
        self.globals = globals
        self.seenMessageIds = seenMessageIds
        self.offsets = offsets
        self.removedOffsets = removedOffsets
        self.quarantine = quarantine
        self.outbox = outbox
        self.dropped = dropped
        self.withdrawn = withdrawn
        self.eventsApplied = eventsApplied
        self.pendingTimers = pendingTimers
    }
}
