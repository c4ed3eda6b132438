/// Slack's Block Kit limits, checked before a `format: slack` message is sent: what Slack would refuse
/// (or a link that is not a web link) becomes a clear `render-error` instead of a 400 or a truncated message.
public enum SlackLimits {
    /// Section block text, in characters.
    public static let sectionText = 3000
    /// Button text, in characters (and at least 1).
    public static let buttonText = 75
    /// Button URL, in characters.
    public static let buttonURL = 3000
    /// Elements in one actions block.
    public static let actionsElements = 25

    /// One broken limit.
    public struct Violation: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, naming the limit.
        public var message: String

        public var description: String { message }
    }

    /// Every limit `text` and `buttons` break, in order; empty when Slack would take them.
    public static func validate(text: String, buttons: [(label: String, url: String)]) -> [Violation] {
        var out: [Violation] = []
        func add(_ m: String) { out.append(Violation(message: m)) }
        if text.count > sectionText {
            add("slack section text is \(text.count) characters; Block Kit allows \(sectionText)")
        }
        if buttons.count > actionsElements {
            add("slack actions block has \(buttons.count) buttons; Block Kit allows \(actionsElements)")
        }
        for (i, b) in buttons.enumerated() {
            let n = i + 1
            if b.label.isEmpty {
                add("slack button \(n) has empty text; Block Kit needs 1 to \(buttonText) characters")
            } else if b.label.count > buttonText {
                add("slack button \(n) text is \(b.label.count) characters; Block Kit allows \(buttonText)")
            }
            if b.url.count > buttonURL {
                add("slack button \(n) URL is \(b.url.count) characters; Block Kit allows \(buttonURL)")
            }
            let lower = b.url.lowercased()
            if !(lower.hasPrefix("https://") || lower.hasPrefix("http://")) {
                let scheme = b.url.split(separator: ":", maxSplits: 1).first.map(String.init) ?? b.url
                add(
                    "slack button \(n) URL must be http(s), not '\(String(scheme.prefix(20)))': a \(scheme.lowercased() == "javascript" ? "script" : "non-web") link is refused"
                )
            }
        }
        return out
    }

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
