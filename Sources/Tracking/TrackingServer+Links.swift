import HTTPTypes
import Hummingbird
import NIOCore
import TouchpointCore

extension TrackingServer {
    /// A transparent 1×1 GIF (43 bytes).
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF,
        0xFF,
        0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00,
        0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    static var pixelResponse: Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "image/gif", .cacheControl: "no-store, no-cache, must-revalidate, max-age=0",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: pixel)))
    }

    /// The engagement properties of a hit, with the machine flag when the heuristic says so.
    func engagementProperties(
        _ token: TrackingToken, _ request: Request, _ context: TrackingContext, now: Instant
    )
        -> [String: JSONValue]
    {
        var properties: [String: JSONValue] = [
            "channel": .string(token.channel.rawValue),
            "message_id": .string(token.messageId),
        ]
        let agent = request.headers[.userAgent]
        if let reason = machines.reason(
            userAgent: agent, remoteIPv4: context.remoteIPv4, issuedAt: token.issuedAt, at: now)
        {
            properties["machine"] = true
            properties["machine_reason"] = .string(reason)
        }
        return properties
    }

    /// `GET /o/{token}`: the pixel, always (an email must not show a broken image); `Message Opened`
    /// recorded when the token is valid and not expired.
    func open(_ request: Request, _ context: TrackingContext) async -> Response {
        guard let token = token(context, kind: .open, hit: "open") else { return .notFound }
        let now = clock()
        if token.isExpired(at: now, lifetime: config.linkLifetime) {
            telemetry.hit(kind: "open", result: "expired")
            return Self.pixelResponse
        }
        let line = EventLines.track(
            WellKnownEvent.messageOpened, userId: token.customer, at: now,
            messageId: EventLines.messageId("open", token.messageId, EventLines.minute(now)),
            properties: engagementProperties(token, request, context, now: now))
        _ = await record([line], kind: "open")
        return Self.pixelResponse
    }

    /// `GET /c/{token}`: 302 to the URL in the token (never one from the query); `Message Clicked`
    /// recorded first. An expired link shows a page instead of redirecting.
    func click(_ request: Request, _ context: TrackingContext) async -> Response {
        // Only a web link Touchpoint signed, and nothing that could split a header: defence in depth,
        // since the tracker only ever signs such links.
        guard let token = token(context, kind: .click, hit: "click"), let target = token.url,
            Self.isRedirectable(target)
        else { return .notFound }
        let now = clock()
        if token.isExpired(at: now, lifetime: config.linkLifetime) {
            telemetry.hit(kind: "click", result: "expired")
            return .page(.gone, Pages.expired(target: target, locale: nil))
        }
        var properties = engagementProperties(token, request, context, now: now)
        properties["url"] = .string(target)
        properties["link_index"] = .number(Double(token.linkIndex))
        let line = EventLines.track(
            WellKnownEvent.messageClicked, userId: token.customer, at: now,
            messageId: EventLines.messageId(
                "click", token.messageId, String(token.linkIndex), EventLines.minute(now)),
            properties: properties)
        // The person still gets where they were going if the disk fails; the error is logged and counted.
        _ = await record([line], kind: "click")
        return Response(
            status: .found,
            headers: [
                .location: target, .cacheControl: "no-store",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ])
    }

    static func isRedirectable(_ url: String) -> Bool {
        let lower = url.prefix(8).lowercased()
        return (lower.hasPrefix("https://") || lower.hasPrefix("http://"))
            && !url.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// `GET /u/{token}`: the page; nothing is recorded (mail scanners fetch every link).
    func unsubscribePage(_ request: Request, _ context: TrackingContext) -> Response {
        guard let token = token(context, kind: .unsubscribe, hit: "unsubscribe") else { return .notFound }
        telemetry.hit(kind: "unsubscribe", result: "page")
        return .page(.ok, Pages.unsubscribe(channel: token.channel, locale: token.locale))
    }

    /// `POST /u/{token}`: RFC 8058 one-click (`List-Unsubscribe=One-Click`, this channel) or the page's
    /// form (`scope=channel` or `scope=all`) → `Unsubscribed`, 200 once it is on disk. Unsubscribe links do
    /// not expire: an opt-out is honoured however old the message.
    func unsubscribe(_ request: Request, _ context: TrackingContext) async -> Response {
        guard let token = token(context, kind: .unsubscribe, hit: "unsubscribe") else { return .notFound }
        let boundary = FormBody.multipartBoundary(request.headers[.contentType])
        guard let body = await Self.body(request, limit: 4096),
            let form = boundary.map({ FormBody(multipart: body, boundary: $0) }) ?? FormBody(body)
        else {
            telemetry.hit(kind: "unsubscribe", result: "rejected")
            return .text(
                .badRequest, "expected a form body: List-Unsubscribe=One-Click, or scope=channel|all\n")
        }
        let oneClick = form["List-Unsubscribe"] == "One-Click"
        let scope = form["scope"] ?? (oneClick ? "channel" : nil)
        guard let scope, scope == "channel" || scope == "all" else {
            telemetry.hit(kind: "unsubscribe", result: "rejected")
            return .text(.badRequest, "expected List-Unsubscribe=One-Click, or scope=channel|all\n")
        }
        let now = clock()
        let channel = scope == "all" ? "all" : token.channel.rawValue
        let line = EventLines.track(
            WellKnownEvent.unsubscribed, userId: token.customer, at: now,
            messageId: EventLines.messageId("unsubscribe", token.messageId, channel, EventLines.minute(now)),
            properties: [
                "channel": .string(channel), "message_id": .string(token.messageId),
                "source": .string(oneClick ? "one-click" : "page"),
            ])
        guard await record([line], kind: "unsubscribe") else {
            return .text(.serviceUnavailable, "could not record the unsubscribe; please try again\n")
        }
        if oneClick { return .text(.ok, "unsubscribed\n") }
        return .page(
            .ok, Pages.unsubscribed(channel: scope == "all" ? nil : token.channel, locale: token.locale))
    }
}
