import TouchpointCore

/// One way of delivering messages. Adding a channel kind is one type conforming to this protocol plus one
/// registration line in ``AdapterRegistry/standard``.
public protocol ChannelAdapter: Sendable {
    /// The configuration `kind` this adapter answers to (`smtp`, `webhook`, ...).
    var kind: String { get }

    /// Turns a message into the exact request to send. Pure: the same message and `now` give the same bytes,
    /// and the result is persisted so a retry is byte-identical.
    func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest

    /// Sends a prepared request once and classifies what happened. Never throws: every failure is an outcome.
    func send(_ request: PreparedRequest) async -> DeliveryOutcome

    /// Sends once like ``send(_:)`` and says whether the content had gone out (``FailoverAdapter`` asks,
    /// to know whether a refusal may go to another provider). Defaults to ``send(_:)`` and "it had".
    func attempt(_ request: PreparedRequest) async -> ProviderAttempt

    /// Whether the peer recognises a repeated idempotency key, so a message whose fate is unknown may be
    /// re-sent safely.
    var peerDeduplicates: Bool { get }
}
