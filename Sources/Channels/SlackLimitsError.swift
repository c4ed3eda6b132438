import TouchpointCore

/// A message a `format: slack` webhook refuses to send: the data broke Block Kit's limits.
public struct SlackLimitsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The limits broken.
    public var violations: [SlackLimits.Violation]

    public var description: String { violations.map(\.message).joined(separator: "; ") }
}
