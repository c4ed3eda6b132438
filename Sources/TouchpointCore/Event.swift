/// One customer event, decoded from a Segment-spec JSON line.
public struct Event: Sendable, Hashable, Codable {
    /// The Segment call type.
    public enum Kind: Sendable, Hashable {
        case track
        case identify
        /// `page`, `screen`, `group`, `alias`: read, counted and otherwise ignored.
        case other(String)
    }

    public var kind: Kind
    /// The `track` event name (`Product Added`); `nil` for other kinds.
    public var name: String?
    public var userId: String
    /// The idempotency key, when the producer gave one.
    public var messageId: String?
    public var timestamp: Timestamp
    public var properties: [String: JSONValue]
    public var traits: [String: JSONValue]
    /// Where the event came from (`file:line`), for diagnostics and `--explain`.
    public var source: SourceLocation?

    public init(
        kind: Kind, name: String? = nil, userId: String, messageId: String? = nil, timestamp: Timestamp,
        properties: [String: JSONValue] = [:], traits: [String: JSONValue] = [:],
        source: SourceLocation? = nil
    ) {
        self.kind = kind
        self.name = name
        self.userId = userId
        self.messageId = messageId
        self.timestamp = timestamp
        self.properties = properties
        self.traits = traits
        self.source = source
    }

    /// The instant the event happened.
    public var instant: Instant { timestamp.instant }

    /// The `event` variable that expressions and templates see: `name`, `timestamp`, `properties`.
    public var contextValue: JSONValue {
        .object([
            "name": name.map { .string($0) } ?? .null,
            "timestamp": .string(timestamp.text),
            "properties": .object(properties),
            "message_id": messageId.map { .string($0) } ?? .null,
        ])
    }
}

/// Event names with a meaning of their own to the engine (SPEC §1).
public enum WellKnownEvent {
    public static let unsubscribed = "Unsubscribed"
    public static let subscribed = "Subscribed"
    public static let messageSent = "Message Sent"
    public static let messageOpened = "Message Opened"
    public static let messageClicked = "Message Clicked"
    public static let emailOpened = "Email Opened"
    public static let emailLinkClicked = "Email Link Clicked"
    /// `properties.type` `hard` or `soft` (default `hard`), `properties.channel` (default `email`).
    public static let messageBounced = "Message Bounced"
    /// A spam complaint (feedback loop); `properties.channel` (default `email`).
    public static let complaintReceived = "Complaint Received"
    public static let messageDelivered = "Message Delivered"
    public static let messageFailed = "Message Failed"
    /// Segment's email events with the same meaning as ``messageBounced`` (hard) and ``complaintReceived``.
    public static let emailBounced = "Email Bounced"
    public static let emailMarkedAsSpam = "Email Marked as Spam"

    /// Engagement, consent and feedback events do not count as customer activity for `when.inactive`.
    public static let nonActivity: Set<String> = [
        unsubscribed, subscribed, messageSent, messageOpened, messageClicked, emailOpened, emailLinkClicked,
        "Email Delivered", emailBounced, emailMarkedAsSpam, messageDelivered, messageFailed, messageBounced,
        complaintReceived,
    ]
}
