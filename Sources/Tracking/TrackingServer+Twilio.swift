import HTTPTypes
import Hummingbird
import NIOCore
import TouchpointCore

extension TrackingServer {
    /// What every Twilio webhook gets back: empty TwiML (no reply message).
    static var emptyTwiML: Response {
        Response(
            status: .ok, headers: [.contentType: "text/xml; charset=utf-8", .cacheControl: "no-store"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>")))
    }

    /// A verified form, or the answer to give instead.
    enum Verified {
        case success(FormBody)
        case failure(Response)
    }

    /// The form of a Twilio webhook whose `X-Twilio-Signature` is valid for the URL Twilio called
    /// (`public-url` + path + query), or the answer to give instead.
    func verifiedTwilioForm(_ request: Request, kind: String) async -> Verified {
        guard let token = config.twilioToken else {
            telemetry.hit(kind: kind, result: "rejected")
            return .failure(
                Response.text(
                    .forbidden,
                    "no Twilio auth token configured (http.twilio-token, or a twilio sms channel)\n"))
        }
        guard let body = await Self.body(request, limit: 64 * 1024), let form = FormBody(body) else {
            telemetry.hit(kind: kind, result: "rejected")
            return .failure(Response.text(.badRequest, "expected a form body of at most 64 KB\n"))
        }
        let url = config.publicURL + request.uri.string
        guard
            TwilioSignature.isValid(
                request.headers[HTTPField.Name("X-Twilio-Signature")!], token: token, url: url, form: form)
        else {
            telemetry.hit(kind: kind, result: "rejected")
            logger.warning(
                "Twilio callback with a bad signature refused", metadata: ["http.path": "\(request.uri.path)"]
            )
            return .failure(Response.text(.forbidden, "bad X-Twilio-Signature\n"))
        }
        return .success(form)
    }

    /// `POST /hooks/twilio/status`: `delivered` → `Message Delivered`; `undelivered` / `failed` →
    /// `Message Failed` with `error_code`; other statuses are acknowledged and not recorded. The customer
    /// and message come from the signed `t` in the callback URL Touchpoint gave Twilio; without one, from
    /// the `To` number.
    func twilioStatus(_ request: Request) async -> Response {
        let form: FormBody
        switch await verifiedTwilioForm(request, kind: "twilio-status") {
        case .failure(let response): return response
        case .success(let f): form = f
        }
        guard let sid = form["MessageSid"] ?? form["SmsSid"],
            let status = form["MessageStatus"] ?? form["SmsStatus"]
        else {
            telemetry.hit(kind: "twilio-status", result: "rejected")
            return .text(.badRequest, "MessageSid and MessageStatus are required\n")
        }
        let name: String
        switch status.lowercased() {
        case "delivered": name = WellKnownEvent.messageDelivered
        case "undelivered", "failed": name = WellKnownEvent.messageFailed
        default:
            telemetry.hit(kind: "twilio-status", result: "ignored")
            return Self.emptyTwiML
        }
        var messageId: String?
        var customers: [String] = []
        if let t = request.uri.queryParameters.get("t") {
            guard case .success(let token) = TrackingToken.decode(Substring(t), kind: .callback, key: key)
            else {
                telemetry.hit(kind: "twilio-status", result: "rejected")
                return .notFound
            }
            messageId = token.messageId
            customers = [token.customer]
        } else if let to = form["To"] {
            customers = await hooks.customers(TouchpointCore.Channel.sms, to)
        }
        guard !customers.isEmpty else {
            telemetry.hit(kind: "twilio-status", result: "unknown-recipient")
            logger.notice(
                "Twilio status for a message of no known customer", metadata: ["provider.id": "\(sid)"])
            return Self.emptyTwiML
        }
        var properties: [String: JSONValue] = [
            "channel": "sms", "provider_id": .string(sid), "status": .string(status.lowercased()),
        ]
        if let messageId { properties["message_id"] = .string(messageId) }
        if name == WellKnownEvent.messageFailed, let code = form["ErrorCode"] {
            properties["error_code"] = .string(code)
        }
        let now = clock()
        let lines = customers.map { customer in
            EventLines.track(
                name, userId: customer, at: now,
                messageId: EventLines.messageId("twilio-status", sid, status.lowercased(), customer),
                properties: properties)
        }
        guard await record(lines, kind: "twilio-status") else {
            return .text(.serviceUnavailable, "could not record\n")
        }
        return Self.emptyTwiML
    }

    /// Twilio's standard opt-out and opt-in keywords (the whole message, any case).
    static let stopWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
    static let startWords: Set<String> = ["START", "UNSTOP"]

    /// `POST /hooks/twilio/inbound`: STOP words → `Unsubscribed` sms, START words → `Subscribed` sms, for
    /// every customer whose phone is the sender's; anything else is acknowledged. Always empty TwiML.
    func twilioInbound(_ request: Request) async -> Response {
        let form: FormBody
        switch await verifiedTwilioForm(request, kind: "twilio-inbound") {
        case .failure(let response): return response
        case .success(let f): form = f
        }
        guard let from = form["From"], let sid = form["MessageSid"] ?? form["SmsSid"] else {
            telemetry.hit(kind: "twilio-inbound", result: "rejected")
            return .text(.badRequest, "From and MessageSid are required\n")
        }
        let word = (form["Body"] ?? "").trimmingSpaces().uppercased()
        let name: String
        if Self.stopWords.contains(word) {
            name = WellKnownEvent.unsubscribed
        } else if Self.startWords.contains(word) {
            name = WellKnownEvent.subscribed
        } else {
            telemetry.hit(kind: "twilio-inbound", result: "ignored")
            return Self.emptyTwiML
        }
        let customers = await hooks.customers(TouchpointCore.Channel.sms, from)
        guard !customers.isEmpty else {
            telemetry.hit(kind: "twilio-inbound", result: "unknown-recipient")
            logger.notice("\(word) from a number no customer has", metadata: ["provider.id": "\(sid)"])
            return Self.emptyTwiML
        }
        let now = clock()
        let lines = customers.map { customer in
            EventLines.track(
                name, userId: customer, at: now,
                messageId: EventLines.messageId("twilio-inbound", sid, customer),
                properties: [
                    "channel": "sms", "source": "sms-keyword", "keyword": .string(word),
                    "provider_id": .string(sid),
                ])
        }
        guard await record(lines, kind: "twilio-inbound") else {
            return .text(.serviceUnavailable, "could not record\n")
        }
        return Self.emptyTwiML
    }
}
