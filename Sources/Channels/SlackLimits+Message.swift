import TouchpointCore

extension SlackLimits {
    /// ``validate(text:buttons:)`` for a message.
    public static func validate(_ m: OutboundMessage) -> [Violation] {
        validate(text: m.text, buttons: m.buttons.map { ($0.label, $0.url) })
    }
}

/// A message a `format: slack` webhook refuses to send: the data broke Block Kit's limits.
public struct SlackLimitsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The limits broken.
    public var violations: [SlackLimits.Violation]

    public var description: String { violations.map(\.message).joined(separator: "; ") }
}
