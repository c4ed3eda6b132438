import Foundation
import TouchpointCore

/// Sends SMS through Twilio's Messages API shape: a form POST with basic auth.
///
/// Options: `account_sid`, `auth_token` (required; from the environment in configuration), one of `from` or
/// `messaging_service_sid`, `status_callback`, `base_url` (default `https://api.twilio.com`), and
/// ``TransferSettings/keys``. The provider id is the answer's `sid`; a 2xx without one is ambiguous. Twilio does
/// not deduplicate POSTs, so a 5xx or a timeout after the request went out is ambiguous, never re-sent blindly.
/// A `To` that is not E.164 is refused at prepare (``InvalidAddress``).
public struct TwilioAdapter: ChannelAdapter {
    /// `twilio`.
    public let kind = "twilio"
    /// The account.
    public let accountSid: String
    /// The account's token (applied at send, never persisted).
    let authToken: String
    /// `From` number, or `MessagingServiceSid` when `messagingService` is set.
    public let sender: String
    /// Whether `sender` is a messaging service sid.
    public let messagingService: Bool
    /// A status callback URL.
    public let statusCallback: String?
    /// The API root.
    public let baseURL: String
    /// The full Messages endpoint (`url:` in the config, as in SPEC §6); overrides `base_url`.
    public let messagesURL: String?
    /// Transport settings.
    public let settings: TransferSettings
    /// Where transfers run.
    public let transport: CurlTransport

    /// Twilio does not deduplicate.
    public var peerDeduplicates: Bool { false }

    /// The registration for ``AdapterRegistry``.
    public static let registration = AdapterRegistry.Registration(
        kind: "twilio", required: ["account_sid", "auth_token"],
        optional: TransferSettings.keys.union([
            "from", "messaging_service_sid", "status_callback", "base_url", "url",
        ])
    ) { options, transport in
        let from = options["from"]
        let service = options["messaging_service_sid"]
        guard (from == nil) != (service == nil) else {
            throw AdapterConfigError(
                "channel kind 'twilio' needs exactly one of 'from' or 'messaging_service_sid'")
        }
        return try TwilioAdapter(
            accountSid: options.required("account_sid"), authToken: options.required("auth_token"),
            sender: from ?? service!, messagingService: service != nil,
            statusCallback: options["status_callback"],
            baseURL: options["base_url"] ?? "https://api.twilio.com", messagesURL: options["url"],
            settings: TransferSettings(options), transport: transport)
    }

    /// An adapter.
    public init(
        accountSid: String, authToken: String, sender: String, messagingService: Bool,
        statusCallback: String?,
        baseURL: String, messagesURL: String? = nil, settings: TransferSettings, transport: CurlTransport
    ) {
        self.messagesURL = messagesURL
        self.accountSid = accountSid
        self.authToken = authToken
        self.sender = sender
        self.messagingService = messagingService
        self.statusCallback = statusCallback
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.settings = settings
        self.transport = transport
    }

    /// The Messages endpoint, from the configuration at send time.
    public var endpoint: String {
        messagesURL ?? "\(baseURL)/2010-04-01/Accounts/\(TwilioAdapter.formEncode(accountSid))/Messages.json"
    }

    /// The form body.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        if let problem = AddressSyntax.phoneProblem(message.to) { throw InvalidAddress(problem) }
        var fields = [
            ("To", message.to), (messagingService ? "MessagingServiceSid" : "From", sender),
            ("Body", message.text),
        ]
        if let cb = message.statusCallbackURL ?? statusCallback { fields.append(("StatusCallback", cb)) }
        let body = fields.map { TwilioAdapter.formEncode($0.0) + "=" + TwilioAdapter.formEncode($0.1) }
            .joined(separator: "&")
        var headers = [
            PreparedRequest.Header("Content-Type", "application/x-www-form-urlencoded"),
            PreparedRequest.Header("Accept", "application/json"),
            PreparedRequest.Header("User-Agent", "touchpoint"),
            PreparedRequest.Header("Idempotency-Key", message.messageId),
        ]
        // The quiet hours travel with the request, not a computed validity: a retry hours later must
        // count from its own attempt, the way a webhook is signed with each attempt's timestamp.
        if let quiet = message.quietHours, let zone = message.timezone {
            headers.append(PreparedRequest.Header(Self.quietHoursHeader, "\(quiet) \(zone)"))
        }
        return PreparedRequest(
            kind: kind, messageId: message.messageId, method: "POST", headers: headers,
            body: Data(body.utf8), recipients: [message.to], idempotencyKey: message.messageId)
    }

    /// The prepared request's note of the customer's quiet hours and zone; read at send, never sent.
    static let quietHoursHeader = "Touchpoint-Quiet-Hours"

    /// Twilio's longest `ValidityPeriod`, in seconds.
    public static let maximumValidity: Int64 = 14_400

    /// The `ValidityPeriod` for a send at `now`: the seconds until the customer's quiet hours begin,
    /// `nil` when there are none, when they are `maximumValidity` or further away (the provider's own
    /// limit already keeps the text out of them), or when they have begun.
    static func validityPeriod(_ note: String?, now: Instant) -> Int64? {
        guard let note, let space = note.firstIndex(of: " "),
            let quiet = QuietHours(parsing: String(note[..<space])),
            let zone = Zone(String(note[note.index(after: space)...])),
            let start = quiet.nextStart(after: now, in: zone)
        else { return nil }
        let seconds = (start.milliseconds - now.milliseconds) / 1000
        return seconds < maximumValidity ? max(1, seconds) : nil
    }

    /// Posts with basic auth and classifies; the provider id is the answer's `sid`.
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        var t = settings.request(url: endpoint)
        let credentials = Data("\(accountSid):\(authToken)".utf8).base64EncodedString()
        let note = request.header(Self.quietHoursHeader)
        t.headers =
            request.headers.filter { note == nil || $0.name != Self.quietHoursHeader }
            .map { "\($0.name): \($0.value)" } + ["Authorization: Basic \(credentials)"]
        t.body = Array(request.body)
        let now = Delivery.wallClock()
        if let validity = Self.validityPeriod(note, now: now) {
            t.body += Array("&ValidityPeriod=\(validity)".utf8)
        }
        let result = await transport.perform(t)
        let outcome = Classification.outcome(
            result, peer: .http(deduplicates: false), now: now, retryAfterLimit: .hours(1))
        if case .delivered(_, let answer) = outcome {
            // A whole 2xx answer that is not Twilio's JSON (a proxy's or a captive portal's page) does not say a
            // message was created; Twilio cannot deduplicate, so it is not re-sent either: unknown. (A 2xx status
            // line whose body was then cut off is Twilio's own answer: delivered, without an id.)
            let object = try? JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any]
            if result.curlCode != 0 {
                return .delivered(providerId: object?["sid"] as? String, answer: answer)
            }
            guard let sid = object?["sid"] as? String, !sid.isEmpty else {
                return .ambiguous(answer: "a 2xx answer without a Twilio message sid: " + answer)
            }
            return .delivered(providerId: sid, answer: answer)
        }
        return outcome
    }

    /// `application/x-www-form-urlencoded` escaping: everything but RFC 3986 unreserved characters.
    static func formEncode(_ s: String) -> String { PercentEncoding.encode(s) }
}
