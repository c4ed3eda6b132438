import TouchpointCore

/// A rendered message ready for a channel adapter: plain values, no template or engine types.
public struct OutboundMessage: Sendable, Hashable, Codable {
    /// A call-to-action link shown as a button where the channel has buttons.
    public struct Button: Sendable, Hashable, Codable {
        /// The visible label.
        public var label: String
        /// The link the button opens.
        public var url: String

        /// A button with a label and a link.
        public init(label: String, url: String) {
            self.label = label
            self.url = url
        }
    }

    /// The stable message id (rule × customer × trigger); the idempotency key on every channel.
    public var messageId: String
    /// The channel this message goes out on.
    public var channel: Channel
    /// The address: an email address, an E.164 phone number or a chat id.
    public var to: String
    /// The recipient's display name, if known (email only).
    public var toName: String?
    /// The subject line (email).
    public var subject: String?
    /// The preview text shown after the subject in inbox lists (email).
    public var preheader: String?
    /// The plain-text body; every channel has one.
    public var text: String
    /// The HTML body (email).
    public var html: String?
    /// Buttons, in order.
    public var buttons: [Button]
    /// The one-click unsubscribe link, when the rule has one.
    public var unsubscribeURL: String?
    /// Where the provider reports this message's delivery (Twilio's `StatusCallback`), when the daemon's
    /// HTTP side is on; it overrides the adapter's own `status_callback`.
    public var statusCallbackURL: String?
    /// The customer's quiet hours (`21:00-08:00`) when the message keeps them (not transactional): an SMS
    /// then tells the provider not to deliver it once they begin (Twilio's `ValidityPeriod`).
    public var quietHours: String?
    /// The IANA zone `quietHours` are in.
    public var timezone: String?
    /// The rule that decided this message.
    public var rule: String
    /// The customer it is for.
    public var customerId: String
    /// When the message was decided, in milliseconds since the epoch.
    public var createdAtMilliseconds: Int64

    /// A message; optional parts default to absent.
    public init(
        messageId: String, channel: Channel, to: String, toName: String? = nil, subject: String? = nil,
        preheader: String? = nil, text: String, html: String? = nil, buttons: [Button] = [],
        unsubscribeURL: String? = nil, rule: String, customerId: String, createdAt: Instant
    ) {
        self.messageId = messageId
        self.channel = channel
        self.to = to
        self.toName = toName
        self.subject = subject
        self.preheader = preheader
        self.text = text
        self.html = html
        self.buttons = buttons
        self.unsubscribeURL = unsubscribeURL
        self.rule = rule
        self.customerId = customerId
        self.createdAtMilliseconds = createdAt.milliseconds
    }

    /// When the message was decided.
    public var createdAt: Instant { Instant(milliseconds: createdAtMilliseconds) }
}
