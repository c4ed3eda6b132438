import Foundation

/// The exact bytes an adapter will send for one message, computed once by `prepare` and persisted, so a
/// retry after a restart sends byte-for-byte the same request.
///
/// Credentials are not part of it: an adapter adds them in `send`, so the outbox never holds a secret.
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
    /// Where it goes: an `http(s)://`, `smtp(s)://` or `file://` URL.
    public var url: String
    /// The HTTP method (`POST`), or `SMTP` / `FILE`.
    public var method: String
    /// Request headers (HTTP only).
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
        kind: String, messageId: String, url: String, method: String, headers: [Header] = [], body: Data,
        mailFrom: String? = nil, recipients: [String] = [], idempotencyKey: String
    ) {
        self.kind = kind
        self.messageId = messageId
        self.url = url
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
