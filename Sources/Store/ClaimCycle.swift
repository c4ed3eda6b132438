/// What one ``StateStore/settleAndClaim(_:now:limit:leaseOwner:excludingChannels:)`` transaction did.
public struct ClaimCycle: Sendable, Hashable {
    /// The rows claimed (now `sending`, their attempt opened and committed), oldest due first.
    public var claimed: [OutboxRow]
    /// The outcomes that were not recorded, one error each: the row was no longer in flight (already
    /// settled, or recovered at start-up) or does not exist. The other outcomes were recorded.
    public var refused: [StoreError]
    /// Due rows found past their ``OutboxRow/expiresAt`` instead of claimed: now `dropped` as
    /// `window-expired`, never sent.
    public var expired: [String]

    /// A cycle's result.
    public init(claimed: [OutboxRow] = [], refused: [StoreError] = [], expired: [String] = []) {
        self.claimed = claimed
        self.refused = refused
        self.expired = expired
    }
}
