/// Why a message was held back (SPEC §6 `reason`).
public enum SuppressionReason: String, Sendable, Hashable, CaseIterable, Codable {
    case cancelled
    case ruleLimit = "rule-limit"
    case frequencyCap = "frequency-cap"
    case noReachableChannel = "no-reachable-channel"
    case unsubscribed
    case quietHours = "quiet-hours"
    case windowExpired = "window-expired"
    case missingVariable = "missing-variable"
    case renderError = "render-error"
    /// A hard bounce, a complaint or three soft bounces in a row suppressed the address on that channel.
    case bounced
    /// The customer is in the rule's control group (`holdout`): the message is recorded, never sent.
    case holdout
    /// The adapter refused the address before sending (a phone number not in E.164, a malformed email).
    case invalidAddress = "invalid-address"
}
