import Foundation

/// The exact bytes an adapter will send for one message, computed once by `prepare` and persisted, so a
/// retry after a restart sends byte-for-byte the same body.
///
/// Where it goes and how it is authenticated are not part of it: the adapter resolves its endpoint and
/// credentials from its configuration in `send`, so the outbox never holds a secret (a Slack webhook URL
/// is one, an SMTP URL may carry a password) and an endpoint changed in the config applies to messages
/// already queued. Signatures are made in `send` too (a webhook's, with the attempt's own timestamp).
public struct PreparedRequest: Sendable, Hashable, Codable {
    /// One header line.
    public struct Header: Sendable, Hashable, Codable {
        /// The header name as sent.
        public var name: String
        /// The header value as sent.
        public var value: String

        /// A header.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The adapter kind that prepared it (`webhook`, `smtp`, ...).
    public var kind: String
    /// The message it carries.
    public var messageId: String
    /// The HTTP method (`POST`), or `SMTP` / `FILE`.
    public var method: String
    /// Request headers, none of them secret (HTTP; the file adapter reads `Content-Type`).
    public var headers: [Header]
    /// The body: JSON, a form, or a complete RFC 5322 message.
    public var body: Data
    /// The SMTP envelope sender, bare address.
    public var mailFrom: String?
    /// The SMTP envelope recipients, bare addresses (one per transaction).
    public var recipients: [String]
    /// The key a deduplicating peer uses to recognise a retry.
    public var idempotencyKey: String

    /// A prepared request.
    public init(
        kind: String, messageId: String, method: String, headers: [Header] = [], body: Data,
        mailFrom: String? = nil, recipients: [String] = [], idempotencyKey: String
    ) {
        self.kind = kind
        self.messageId = messageId
        self.method = method
        self.headers = headers
        self.body = body
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.idempotencyKey = idempotencyKey
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}
