import TouchpointCore

/// What one delivery attempt came to, with the peer's answer for the record.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The peer accepted the message; `providerId` is its id for it, when it gives one.
    case delivered(providerId: String?, answer: String)
    /// A transient failure: try again, after `after` when the peer said when.
    case retry(after: TimeSpan?, answer: String)
    /// The peer may or may not have the message and cannot deduplicate: never re-send blindly.
    case ambiguous(answer: String)
    /// The peer refused the message for good.
    case permanent(answer: String)
    /// The endpoint is gone (HTTP 410): stop sending anything to it.
    case disableEndpoint(answer: String)

    /// The peer's answer or the transport error, as recorded.
    public var answer: String {
        switch self {
        case .delivered(_, let a), .retry(_, let a), .ambiguous(let a), .permanent(let a),
            .disableEndpoint(let a):
            a
        }
    }

    /// A short name for records and logs: `delivered`, `retry`, `unknown`, `failed`, `disabled`.
    public var name: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .ambiguous: "unknown"
        case .permanent: "failed"
        case .disableEndpoint: "disabled"
        }
    }

    /// Whether another attempt is worth making.
    public var isRetryable: Bool {
        if case .retry = self { return true }
        return false
    }
}
