import Foundation
import TouchpointCore

/// Sends email over SMTP with libcurl: `smtp://`, `smtps://` (implicit TLS) or `smtp://` with
/// `starttls: true` (STARTTLS required), optional AUTH, one recipient per transaction.
///
/// Options: `url` (required, e.g. `smtp://mail.example.com:587`), `from` (required), `from_name`,
/// `reply_to`, `username`, `password`, `starttls`, `insecure_auth`, and ``TransferSettings/keys``. The reply
/// code decides: 4xx retry, 5xx permanent; a timeout after DATA was accepted is ambiguous (SMTP cannot
/// deduplicate).
///
/// Over `smtp://` without `starttls: true`, STARTTLS is still used whenever the server offers it. AUTH
/// without TLS (a username or password on `smtp://` without `starttls: true`) would send the password in
/// the clear (`AUTH PLAIN` is base64), so it is refused as a configuration error unless `insecure_auth:
/// true` says the relay is trusted (a local one); even then STARTTLS is tried first.
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
    /// AUTH may go out without TLS (a trusted local relay).
    public let insecureAuth: Bool
    /// Transport settings.
    public let settings: TransferSettings
    /// Where transfers run.
    public let transport: CurlTransport

    /// SMTP servers do not deduplicate.
    public var peerDeduplicates: Bool { false }

    /// The registration for ``AdapterRegistry``.
    public static let registration = AdapterRegistry.Registration(
        kind: "smtp", required: ["url", "from"],
        optional: TransferSettings.keys.union([
            "from_name", "reply_to", "username", "password", "starttls", "insecure_auth",
        ])
    ) { options, transport in
        try SMTPAdapter(
            url: options.required("url"),
            mime: MIMEMessage(
                from: options.required("from"), fromName: options["from_name"], replyTo: options["reply_to"]),
            username: options["username"], password: options["password"], startTLS: options.flag("starttls"),
            insecureAuth: options.flag("insecure_auth"), settings: TransferSettings(options),
            transport: transport)
    }

    /// An adapter.
    public init(
        url: String, mime: MIMEMessage, username: String?, password: String?, startTLS: Bool,
        insecureAuth: Bool = false, settings: TransferSettings, transport: CurlTransport
    ) throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
            // Not the URL itself: it may carry a password.
            throw AdapterConfigError("smtp url must start with smtp:// or smtps://")
        }
        if startTLS && lower.hasPrefix("smtps://") {
            throw AdapterConfigError("starttls applies to smtp:// only; smtps:// is already TLS")
        }
        let credentials = username != nil || password != nil || SMTPAdapter.hasUserInfo(url)
        if credentials && lower.hasPrefix("smtp://") && !startTLS && !insecureAuth {
            throw AdapterConfigError(
                "smtp AUTH over smtp:// without TLS would send the password in the clear: use smtps://, or "
                    + "starttls: true, or insecure-auth: true for a trusted local relay")
        }
        try MIMEMessage.checkAddress(mime.from)
        self.url = url
        self.mime = mime
        self.username = username
        self.password = password
        self.startTLS = startTLS
        self.insecureAuth = insecureAuth
        self.settings = settings
        self.transport = transport
    }

    /// The complete message and its envelope.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        let bytes = try mime.render(message, now: now)
        return PreparedRequest(
            kind: kind, messageId: message.messageId, method: "SMTP", body: Data(bytes),
            mailFrom: mime.from, recipients: [message.to],
            idempotencyKey: mime.messageIdHeader(message.messageId))
    }

    /// Whether `url` has a `user[:password]@` part.
    static func hasUserInfo(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }

    /// One SMTP transaction; the provider id is the `Message-ID`.
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        await attempt(request).outcome
    }

    /// One SMTP transaction, and whether `DATA` was accepted before it ended (a 5xx at `MAIL` or `RCPT`
    /// means no server has the message, so another provider may be offered it).
    public func attempt(_ request: PreparedRequest) async -> ProviderAttempt {
        var t = settings.request(url: url)
        t.body = Array(request.body)
        t.mailFrom = request.mailFrom
        t.recipients = request.recipients
        t.username = username
        t.password = password
        t.requireTLS = startTLS
        t.tryTLS = true
        let result = await transport.perform(t)
        let outcome = Classification.outcome(
            result, peer: .smtp, now: Delivery.wallClock(), retryAfterLimit: .zero)
        if case .delivered(_, let answer) = outcome {
            return ProviderAttempt(
                outcome: .delivered(providerId: request.idempotencyKey, answer: answer), contentSent: true)
        }
        return ProviderAttempt(outcome: outcome, contentSent: result.bodyStarted)
    }
}
