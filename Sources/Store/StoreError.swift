/// Errors a store raises besides the database's own.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No outbox row has this message id.
    case unknownMessage(String)
    /// The row is not in `sending`, so there is no open attempt to record an outcome for.
    case notInFlight(messageId: String, state: OutboxState)
    /// A stored value could not be read back (a state name this version does not know).
    case corrupt(String)
    /// The store's file was deleted or replaced while it was open: writing on would write into a file
    /// nobody will read again (and a restart on the new one would apply and send everything again).
    case replaced(String)
    /// A file operation around the store failed (its lock file, its permissions).
    case io(String)

    /// A one-line description naming the message.
    public var description: String {
        switch self {
        case .unknownMessage(let id): "no outbox message '\(id)'"
        case .notInFlight(let id, let state): "outbox message '\(id)' is \(state.rawValue), not sending"
        case .corrupt(let what): "store: cannot read \(what)"
        case .replaced(let what): "store \(what)"
        case .io(let what): "store: \(what)"
        }
    }
}
