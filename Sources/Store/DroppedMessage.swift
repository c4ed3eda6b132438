import TouchpointCore

/// A decided message that will not be sent, with the recorded reason (SPEC §7 "dropped with a recorded reason").
public struct DroppedMessage: Sendable, Hashable {
    /// The message's stable id.
    public var messageId: String
    /// The rule that decided it.
    public var rule: String
    /// The customer it was for.
    public var customer: String
    /// Why it was dropped: a ``SuppressionReason`` raw value such as `window-expired`, or a dispatcher reason.
    public var reason: String
    /// Free-form detail for an operator, if any.
    public var detail: String?
    /// When it was dropped.
    public var at: Instant

    /// A dropped message with a free-form reason.
    public init(
        messageId: String, rule: String, customer: String, reason: String, detail: String? = nil, at: Instant
    ) {
        self.messageId = messageId
        self.rule = rule
        self.customer = customer
        self.reason = reason
        self.detail = detail
        self.at = at
    }

    /// A dropped message with one of SPEC §6's suppression reasons.
    public init(
        messageId: String, rule: String, customer: String, reason: SuppressionReason, detail: String? = nil,
        at: Instant
    ) {
        self.init(
            messageId: messageId, rule: rule, customer: customer, reason: reason.rawValue, detail: detail,
            at: at)
    }
}
