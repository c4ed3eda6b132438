import Foundation
import TouchpointCore

/// Sends email over SMTP with libcurl: `smtp://`, `smtps://` (implicit TLS) or `smtp://` with
/// `starttls: true` (STARTTLS required), optional AUTH, one recipient per transaction.
///
/// Options: `url` (required, e.g. `smtp://mail.example.com:587`), `from` (required), `from_name`,
/// `reply_to`, `username`, `password`, `starttls`, and ``TransferSettings/keys``. The reply code decides:
/// 4xx retry, 5xx permanent; a timeout after DATA was accepted is ambiguous (SMTP cannot deduplicate).
public struct SMTPAdapter: ChannelAdapter {
    /// `smtp`.
    public let kind = "smtp"
    /// The server.
    public let url: String
    /// How messages are rendered.
    public let mime: MIMEMessage
    /// AUTH login.
    public let username: String?
    /// AUTH password (applied at send, never persisted).
    let password: String?
    /// Require STARTTLS.
    public let startTLS: Bool
    /// Transport settings.
    public let settings: TransferSettings
    /// Where transfers run.
    public let transport: CurlTransport

    /// SMTP servers do not deduplicate.
    public var peerDeduplicates: Bool { false }

    /// The registration for ``AdapterRegistry``.
    public static let registration = AdapterRegistry.Registration(
        kind: "smtp", required: ["url", "from"],
        optional: TransferSettings.keys.union(["from_name", "reply_to", "username", "password", "starttls"])
    ) { options, transport in
        try SMTPAdapter(
            url: options.required("url"),
            mime: MIMEMessage(
                from: options.required("from"), fromName: options["from_name"], replyTo: options["reply_to"]),
            username: options["username"], password: options["password"], startTLS: options.flag("starttls"),
            settings: TransferSettings(options), transport: transport)
    }

    /// An adapter.
    public init(
        url: String, mime: MIMEMessage, username: String?, password: String?, startTLS: Bool,
        settings: TransferSettings, transport: CurlTransport
    ) throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
            throw AdapterConfigError("smtp url must start with smtp:// or smtps://, not '\(url)'")
        }
        if startTLS && lower.hasPrefix("smtps://") {
            throw AdapterConfigError("starttls applies to smtp:// only; smtps:// is already TLS")
        }
        try MIMEMessage.checkAddress(mime.from)
        self.url = url
        self.mime = mime
        self.username = username
        self.password = password
        self.startTLS = startTLS
        self.settings = settings
        self.transport = transport
    }

    /// The complete message and its envelope.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        let bytes = try mime.render(message, now: now)
        return PreparedRequest(
            kind: kind, messageId: message.messageId, url: url, method: "SMTP", body: Data(bytes),
            mailFrom: mime.from, recipients: [message.to],
            idempotencyKey: mime.messageIdHeader(message.messageId))
    }

    /// One SMTP transaction; the provider id is the `Message-ID`.
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        var t = settings.request(url: request.url)
        t.body = Array(request.body)
        t.mailFrom = request.mailFrom
        t.recipients = request.recipients
        t.username = username
        t.password = password
        t.requireTLS = startTLS
        let result = await transport.perform(t)
        let outcome = Classification.outcome(
            result, peer: .smtp, now: Delivery.wallClock(), retryAfterLimit: .zero)
        if case .delivered(_, let answer) = outcome {
            return .delivered(providerId: request.idempotencyKey, answer: answer)
        }
        return outcome
    }
}
