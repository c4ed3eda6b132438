import Foundation
import TouchpointCore

/// Posts each message as JSON to a webhook, signed per Standard Webhooks when a secret is set.
///
/// Options: `url` (required), `secret` (`whsec_` + base64), `format` (`generic`, the default, or `slack`),
/// and ``TransferSettings/keys``.
///
/// The generic payload, keys sorted:
/// `{"buttons":[{"label":…,"url":…}],"channel":"chat","customer":…,"html":…?,"id":<message id>,"rule":…,
/// "subject":…?,"text":…,"to":…,"unsubscribe_url":…?}`.
/// The `slack` payload: `{"text":…,"blocks":[{"type":"section",…},{"type":"actions","elements":[URL
/// buttons]}]}`.
///
/// Headers: `Idempotency-Key` and `webhook-id` = message id, `webhook-timestamp` = unix seconds of the
/// attempt, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. The body is prepared once
/// and the same on every attempt; the signature is made at each send with that attempt's own timestamp
/// (receivers reject timestamps outside a few minutes, so a retry signed at prepare time was refused after
/// a long backoff), under the same `webhook-id`, which receivers deduplicate on. The URL and the secret are
/// the adapter's, resolved at send time: neither is stored with the message.
public struct WebhookAdapter: ChannelAdapter {
    /// The body shape.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// The documented generic payload.
        case generic
        /// Slack incoming-webhook shape: text plus blocks with URL buttons.
        case slack
    }

    /// `webhook`.
    public let kind = "webhook"
    /// The endpoint.
    public let url: String
    /// The decoded signing key, when signing.
    public let signingKey: [UInt8]?
    /// `signingKey` with its HMAC pads precomputed.
    let signer: HMAC.Key?
    /// The body shape.
    public let format: Format
    /// Transport settings.
    public let settings: TransferSettings
    /// Where transfers run.
    public let transport: CurlTransport

    /// Receivers deduplicate on `webhook-id`.
    public var peerDeduplicates: Bool { true }

    /// The registration for ``AdapterRegistry``.
    public static let registration = AdapterRegistry.Registration(
        kind: "webhook", required: ["url"], optional: TransferSettings.keys.union(["secret", "format"])
    ) { options, transport in
        let formatText = options["format"] ?? "generic"
        guard let format = Format(rawValue: formatText) else {
            throw AdapterConfigError(
                "option 'format' of channel kind 'webhook' must be generic or slack, not '\(formatText)'"
                    + Suggest.didYouMean(formatText, in: Format.allCases.map(\.rawValue)))
        }
        return try WebhookAdapter(
            url: options.required("url"), secret: options["secret"], format: format,
            settings: TransferSettings(options), transport: transport)
    }

    /// An adapter; `secret` is a Standard Webhooks secret (`whsec_` + base64; the prefix is optional).
    public init(
        url: String, secret: String?, format: Format, settings: TransferSettings, transport: CurlTransport
    ) throws {
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            // Not the URL itself: a webhook URL is often the secret.
            throw AdapterConfigError("webhook url must start with http:// or https://")
        }
        self.url = url
        if let secret {
            let b64 = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let key = Data(base64Encoded: b64), !key.isEmpty else {
                throw AdapterConfigError("webhook secret must be whsec_ followed by base64")
            }
            signingKey = Array(key)
            signer = HMAC.Key(Array(key))
        } else {
            signingKey = nil
            signer = nil
        }
        self.format = format
        self.settings = settings
        self.transport = transport
    }

    /// The Standard Webhooks headers, which ``send(_:)`` makes for each attempt (lowercased).
    public static let signingHeaders: Set<String> = ["webhook-id", "webhook-timestamp", "webhook-signature"]

    /// The JSON body and its unsigned headers.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        if format == .slack {
            let violations = SlackLimits.validate(message)
            if !violations.isEmpty { throw SlackLimitsError(violations: violations) }
        }
        let body = format == .slack ? WebhookAdapter.slackBody(message) : WebhookAdapter.genericBody(message)
        let id = message.messageId
        let headers = [
            PreparedRequest.Header("Content-Type", "application/json"),
            PreparedRequest.Header("User-Agent", "touchpoint"),
            PreparedRequest.Header("Idempotency-Key", id),
        ]
        return PreparedRequest(
            kind: kind, messageId: id, method: "POST", headers: headers, body: Data(body),
            recipients: [message.to], idempotencyKey: id)
    }

    /// The header lines of one attempt at `now`: the stored ones, and a signature over this attempt's timestamp.
    public func headerLines(for request: PreparedRequest, at now: Instant) -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 3)
        for h in request.headers where !WebhookAdapter.signingHeaders.contains(h.name.lowercased()) {
            lines.append(h.name + ": " + h.value)
        }
        if let signer {
            let timestamp = String(now.epochSeconds)
            let signature = WebhookAdapter.signature(
                signer, id: request.messageId, timestamp: timestamp, body: Array(request.body))
            lines.append("webhook-id: " + request.messageId)
            lines.append("webhook-timestamp: " + timestamp)
            lines.append("webhook-signature: v1," + signature)
        }
        return lines
    }

    /// Signs, posts to the configured URL and classifies; a timeout is retried, since the receiver
    /// deduplicates on `webhook-id`.
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        let now = Delivery.wallClock()
        var t = settings.request(url: url)
        t.headers = headerLines(for: request, at: now)
        t.body = Array(request.body)
        let result = await transport.perform(t)
        return Classification.outcome(
            result, peer: .http(deduplicates: true), now: Delivery.wallClock(), retryAfterLimit: .hours(1))
    }

    /// The Standard Webhooks signature (without the `v1,` prefix).
    public static func signature(key: [UInt8], id: String, timestamp: String, body: [UInt8]) -> String {
        signature(HMAC.Key(key), id: id, timestamp: timestamp, body: body)
    }

    static func signature(_ key: HMAC.Key, id: String, timestamp: String, body: [UInt8]) -> String {
        Data(key.mac(Array((id + "." + timestamp + ".").utf8), body)).base64EncodedString()
    }

    /// The generic payload documented on the type.
    public static func genericPayload(_ m: OutboundMessage) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(m.messageId), "channel": .string(m.channel.rawValue), "to": .string(m.to),
            "rule": .string(m.rule), "customer": .string(m.customerId), "text": .string(m.text),
            "buttons": .array(
                m.buttons.map { .object(["label": .string($0.label), "url": .string($0.url)]) }),
        ]
        if let s = m.subject { o["subject"] = .string(s) }
        if let h = m.html { o["html"] = .string(h) }
        if let u = m.unsubscribeURL { o["unsubscribe_url"] = .string(u) }
        return .object(o)
    }

    /// ``genericPayload(_:)`` as JSON text, written directly: the same bytes as its `jsonText`.
    public static func genericBody(_ m: OutboundMessage) -> [UInt8] {
        var j = JSONBytes(capacity: 256 + m.text.utf8.count + (m.html?.utf8.count ?? 0))
        j.raw("{")
        j.key("buttons", first: true)
        j.raw("[")
        for (i, b) in m.buttons.enumerated() {
            j.raw(i == 0 ? "{" : ",{")
            j.key("label", first: true)
            j.string(b.label)
            j.key("url")
            j.string(b.url)
            j.raw("}")
        }
        j.raw("]")
        j.key("channel")
        j.string(m.channel.rawValue)
        j.key("customer")
        j.string(m.customerId)
        if let h = m.html {
            j.key("html")
            j.string(h)
        }
        j.key("id")
        j.string(m.messageId)
        j.key("rule")
        j.string(m.rule)
        if let s = m.subject {
            j.key("subject")
            j.string(s)
        }
        j.key("text")
        j.string(m.text)
        j.key("to")
        j.string(m.to)
        if let u = m.unsubscribeURL {
            j.key("unsubscribe_url")
            j.string(u)
        }
        j.raw("}")
        return j.bytes
    }

    /// ``slackPayload(_:)`` as JSON text, written directly: the same bytes as its `jsonText`.
    public static func slackBody(_ m: OutboundMessage) -> [UInt8] {
        var j = JSONBytes(capacity: 256 + 2 * m.text.utf8.count)
        j.raw("{")
        j.key("blocks", first: true)
        j.raw("[{")
        j.key("text", first: true)
        j.raw("{")
        j.key("text", first: true)
        j.string(String(m.text.prefix(3000)))
        j.key("type")
        j.raw("\"mrkdwn\"}")
        j.key("type")
        j.raw("\"section\"}")
        if !m.buttons.isEmpty {
            j.raw(",{")
            j.key("elements", first: true)
            j.raw("[")
            for (i, b) in m.buttons.prefix(25).enumerated() {
                j.raw(i == 0 ? "{" : ",{")
                j.key("text", first: true)
                j.raw("{")
                j.key("text", first: true)
                j.string(String(b.label.prefix(75)))
                j.key("type")
                j.raw("\"plain_text\"}")
                j.key("type")
                j.raw("\"button\"")
                j.key("url")
                j.string(b.url)
                j.raw("}")
            }
            j.raw("]")
            j.key("type")
            j.raw("\"actions\"}")
        }
        j.raw("]")
        j.key("text")
        j.string(m.text)
        j.raw("}")
        return j.bytes
    }

    /// Slack's shape: `text` for notifications, a section block, and an actions block of URL buttons.
    public static func slackPayload(_ m: OutboundMessage) -> JSONValue {
        // Slack refuses section text over 3000 characters, button labels over 75 and more than 25 elements.
        var blocks: [JSONValue] = [
            .object([
                "type": "section",
                "text": .object(["type": "mrkdwn", "text": .string(String(m.text.prefix(3000)))]),
            ])
        ]
        if !m.buttons.isEmpty {
            let elements: [JSONValue] = m.buttons.prefix(25).map {
                .object([
                    "type": "button", "url": .string($0.url),
                    "text": .object(["type": "plain_text", "text": .string(String($0.label.prefix(75)))]),
                ])
            }
            blocks.append(.object(["type": "actions", "elements": .array(elements)]))
        }
        return .object(["text": .string(m.text), "blocks": .array(blocks)])
    }
}
