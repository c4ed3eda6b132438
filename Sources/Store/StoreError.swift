/// Errors a store raises besides the database's own.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No outbox row has this message id.
    case unknownMessage(String)
    /// The row is not in `sending`, so there is no open attempt to record an outcome for.
    case notInFlight(messageId: String, state: OutboxState)
    /// A stored value could not be read back (a state name this version does not know).
    case corrupt(String)

    /// A one-line description naming the message.
    public var description: String {
        switch self {
        case .unknownMessage(let id): "no outbox message '\(id)'"
        case .notInFlight(let id, let state): "outbox message '\(id)' is \(state.rawValue), not sending"
        case .corrupt(let what): "store: cannot read \(what)"
        }
    }
}
