import TouchpointCore

extension SlackLimits {
    /// ``validate(text:buttons:)`` for a message.
    public static func validate(_ m: OutboundMessage) -> [Violation] {
        validate(text: m.text, buttons: m.buttons.map { ($0.label, $0.url) })
    }
}
