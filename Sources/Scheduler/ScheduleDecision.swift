import TouchpointCore

/// What the scheduler decided for one due message.
public enum ScheduleDecision: Sendable, Hashable {
    /// Send on `channel` at `at`.
    case send(channel: Channel, at: Instant, explanation: Explanation)
    /// Hold the message back for `reason`.
    case suppressed(SuppressionReason, explanation: Explanation)

    /// The numbers behind the decision.
    public var explanation: Explanation {
        switch self {
        case .send(_, _, let e), .suppressed(_, let e): e
        }
    }

    /// The suppression reason, or `nil` for a send.
    public var reason: SuppressionReason? {
        if case .suppressed(let r, _) = self { return r }
        return nil
    }
}
