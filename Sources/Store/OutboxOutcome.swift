import TouchpointCore

/// What came of one delivery attempt, as the dispatcher records it.
///
/// Retry and dead-letter policy belong to the caller: after its last allowed attempt it passes ``dead(reason:answer:)``.
public enum OutboxOutcome: Sendable, Hashable {
    /// The peer accepted the message.
    case delivered(providerId: String?, answer: String?)
    /// A transient failure: try again at `at`.
    case retry(at: Instant, answer: String?)
    /// Given up: a permanent failure or the attempt limit.
    case dead(reason: String, answer: String?)
    /// The attempt's fate cannot be known (e.g. a timeout after the peer may have accepted it),
    /// and the peer cannot deduplicate: reported, never re-sent automatically.
    case unknown(answer: String?)
    /// Not sent after all (e.g. `window-expired` noticed at claim time), with the reason.
    case dropped(reason: String, detail: String?)

    /// The row state this outcome leads to.
    public var state: OutboxState {
        switch self {
        case .delivered: .delivered
        case .retry: .retry
        case .dead: .dead
        case .unknown: .unknown
        case .dropped: .dropped
        }
    }

    /// The peer's answer, if any.
    public var answer: String? {
        switch self {
        case .delivered(_, let answer), .retry(_, let answer), .dead(_, let answer), .unknown(let answer):
            answer
        case .dropped(_, let detail): detail
        }
    }
}
