/// One send and whether the message content (SMTP `DATA`, an HTTP body) had started to go out: what
/// ``FailoverAdapter`` needs to know before it may offer a refused message to another provider.
public struct ProviderAttempt: Sendable, Hashable {
    /// How the send ended.
    public var outcome: DeliveryOutcome
    /// Whether the content had started to go out when it ended.
    public var contentSent: Bool

    /// An attempt.
    public init(outcome: DeliveryOutcome, contentSent: Bool) {
        self.outcome = outcome
        self.contentSent = contentSent
    }
}

extension ChannelAdapter {
    /// Sends once and says whether the content went out. The default cannot tell and says it did, so a
    /// refusal is never offered to a second provider; adapters that know (SMTP) say more.
    public func attempt(_ request: PreparedRequest) async -> ProviderAttempt {
        ProviderAttempt(outcome: await send(request), contentSent: true)
    }
}
