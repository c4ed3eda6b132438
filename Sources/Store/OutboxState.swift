/// Where an outbox row is in its life: `pending → sending → delivered | retry | dead | unknown | dropped`.
public enum OutboxState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting for its send time.
    case pending
    /// Claimed by a dispatcher; an attempt is open.
    case sending
    /// A transient failure; due again at `nextAttemptAt`.
    case retry
    /// The peer accepted it.
    case delivered
    /// Given up on, with the reason.
    case dead
    /// A crash left it in flight towards a peer that cannot deduplicate: it may or may not have
    /// arrived, so it is reported and never re-sent automatically.
    case unknown
    /// Withdrawn without sending, with the reason.
    case dropped

    /// States a dispatcher may still claim.
    public static let claimable: [OutboxState] = [.pending, .retry]

    /// Whether the row has reached an end state (nothing more will happen to it without an operator).
    public var isFinal: Bool {
        switch self {
        case .pending, .sending, .retry: false
        case .delivered, .dead, .unknown, .dropped: true
        }
    }
}
