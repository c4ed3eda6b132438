/// Slack's Block Kit limits, checked before a `format: slack` message is sent: what Slack would refuse
/// (or a link that is not a web link) becomes a clear `render-error` instead of a 400 or a truncated message.
///
/// The one implementation: the engine checks rendered content with it (so a dry-run shows what the daemon
/// records), `check` flags template text that already breaks a limit, and the Slack webhook adapter checks
/// again before it prepares a body.
public enum SlackLimits {
    /// Section block text, in characters.
    public static let sectionText = 3000
    /// Button text, in characters (and at least 1).
    public static let buttonText = 75
    /// Button URL, in characters.
    public static let buttonURL = 3000
    /// Elements in one actions block.
    public static let actionsElements = 25
    /// How a button URL must begin: Slack takes web links only.
    public static let webLinkPrefixes = ["https://", "http://"]

    /// One broken limit.
    public struct Violation: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, naming the limit.
        public var message: String

        public var description: String { message }
    }

    /// Every limit `text` and `buttons` break, in order; empty when Slack would take them.
    public static func validate(text: String, buttons: [(label: String, url: String)]) -> [Violation] {
        var out: [Violation] = []
        if let v = sectionTextProblem(text) { out.append(v) }
        if let v = actionsProblem(count: buttons.count) { out.append(v) }
        for (i, b) in buttons.enumerated() {
            let n = i + 1
            if let v = buttonTextProblem(b.label, button: n) { out.append(v) }
            if let v = buttonURLLengthProblem(b.url, button: n) { out.append(v) }
            if let v = buttonURLSchemeProblem(b.url, button: n) { out.append(v) }
        }
        return out
    }

    /// A section's `text` longer than ``sectionText``.
    public static func sectionTextProblem(_ text: String) -> Violation? {
        let count = text.count
        guard count > sectionText else { return nil }
        return Violation(
            message: "slack section text is \(count) characters; Block Kit allows \(sectionText)")
    }

    /// An actions block of more than ``actionsElements`` buttons.
    public static func actionsProblem(count: Int) -> Violation? {
        guard count > actionsElements else { return nil }
        return Violation(
            message: "slack actions block has \(count) buttons; Block Kit allows \(actionsElements)")
    }

    /// Button `n`'s (1-based) `label` empty or longer than ``buttonText``.
    public static func buttonTextProblem(_ label: String, button n: Int) -> Violation? {
        if label.isEmpty {
            return Violation(
                message: "slack button \(n) has empty text; Block Kit needs 1 to \(buttonText) characters")
        }
        let count = label.count
        guard count > buttonText else { return nil }
        return Violation(
            message: "slack button \(n) text is \(count) characters; Block Kit allows \(buttonText)")
    }

    /// Button `n`'s `url` longer than ``buttonURL``.
    public static func buttonURLLengthProblem(_ url: String, button n: Int) -> Violation? {
        let count = url.count
        guard count > buttonURL else { return nil }
        return Violation(
            message: "slack button \(n) URL is \(count) characters; Block Kit allows \(buttonURL)")
    }

    /// Button `n`'s `url` not an `http(s)` link: a `javascript:` (or any other) link is refused.
    public static func buttonURLSchemeProblem(_ url: String, button n: Int) -> Violation? {
        let lower = url.prefix(8).lowercased()
        guard !webLinkPrefixes.contains(where: { lower.hasPrefix($0) }) else { return nil }
        let scheme = url.split(separator: ":", maxSplits: 1).first.map(String.init) ?? url
        let kind = scheme.lowercased() == "javascript" ? "script" : "non-web"
        return Violation(
            message:
                "slack button \(n) URL must be http(s), not '\(String(scheme.prefix(20)))': a \(kind) link is refused"
        )
    }
}
