import Testing
import TouchpointCore

@testable import Channels

/// The webhook body is written straight to bytes on every send; these pin it to the documented
/// `JSONValue` payloads, byte for byte.
@Suite("webhook body bytes")
struct WebhookBodyTests {
    static let awkward = [
        "plain", "", "quote \" and backslash \\ and slash /", "line\nbreak\r\ttab",
        "controls \u{0} \u{1} \u{1F} \u{7F}", "separators \u{2028} \u{2029} and \u{2027} \u{202A}",
        "中文 ✓ 🚚 e\u{301}", "\u{E2}\u{80}", "trailing \\",
    ]

    static func messages() -> [OutboundMessage] {
        var all = [
            Samples.email(), Samples.chat(), Samples.sms(), Samples.email(html: nil, unsubscribe: nil),
        ]
        for (i, s) in awkward.enumerated() {
            all.append(
                OutboundMessage(
                    messageId: "id-\(i)-\(s)", channel: .chat, to: s, toName: s,
                    subject: i % 2 == 0 ? s : nil,
                    text: s, html: i % 3 == 0 ? s : nil,
                    buttons: i % 2 == 0 ? [] : [.init(label: s, url: s), .init(label: "b", url: "u")],
                    unsubscribeURL: i % 4 == 0 ? nil : s, rule: s, customerId: s, createdAt: Samples.now))
        }
        return all
    }

    @Test("the generic body is exactly the generic payload's JSON text", arguments: messages())
    func generic(_ m: OutboundMessage) {
        let expected = WebhookAdapter.genericPayload(m).jsonText
        #expect(String(decoding: WebhookAdapter.genericBody(m), as: UTF8.self) == expected)
        #expect(WebhookAdapter.genericBody(m) == Array(expected.utf8))
    }

    @Test("the slack body is exactly the slack payload's JSON text", arguments: messages())
    func slack(_ m: OutboundMessage) {
        #expect(WebhookAdapter.slackBody(m) == Array(WebhookAdapter.slackPayload(m).jsonText.utf8))
    }

    @Test("slack limits apply to the body: 3000-character text, 75-character labels, 25 buttons")
    func slackLimits() {
        let long = String(repeating: "é", count: 3100)
        let m = OutboundMessage(
            messageId: "x", channel: .chat, to: "C1", text: long,
            buttons: (0..<30).map {
                .init(label: String(repeating: "L", count: 80) + "\($0)", url: "u\($0)")
            },
            rule: "r", customerId: "c", createdAt: Samples.now)
        let body = WebhookAdapter.slackBody(m)
        #expect(body == Array(WebhookAdapter.slackPayload(m).jsonText.utf8))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("\"u24\"") && !text.contains("\"u25\""))
    }

    @Test(
        "format slack refuses data past Block Kit's limits before sending: text, button text 1–75, URL length and scheme, 25 buttons"
    )
    func slackLimitsRefused() throws {
        let adapter = try WebhookAdapter(
            url: "http://127.0.0.1:9/hook", secret: nil, format: .slack,
            settings: TransferSettings(AdapterOptions(kind: "webhook", values: [:])),
            transport: CurlTransport.shared)
        func message(_ text: String = "hi", _ buttons: [OutboundMessage.Button]) -> OutboundMessage {
            OutboundMessage(
                messageId: "x", channel: .chat, to: "C1", text: text, buttons: buttons, rule: "r",
                customerId: "c",
                createdAt: Samples.now)
        }
        let ok = OutboundMessage.Button(
            label: String(repeating: "L", count: 75), url: "https://shop.example/a")
        #expect(throws: Never.self) {
            try adapter.prepare(
                message(String(repeating: "é", count: 3000), Array(repeating: ok, count: 25)),
                now: Samples.now)
        }
        let cases: [(OutboundMessage, String)] = [
            (message(String(repeating: "é", count: 3001), [ok]), "section text is 3001 characters"),
            (message("hi", Array(repeating: ok, count: 26)), "26 buttons"),
            (message("hi", [.init(label: "", url: "https://a.example")]), "button 1 has empty text"),
            (
                message("hi", [.init(label: String(repeating: "L", count: 76), url: "https://a.example")]),
                "button 1 text is 76"
            ),
            (
                message("hi", [ok, .init(label: "x", url: "javascript:alert(1)")]),
                "button 2 URL must be http(s), not 'javascript'"
            ),
            (
                message(
                    "hi", [.init(label: "x", url: "https://a.example/" + String(repeating: "p", count: 3000))]
                ), "URL is 3018 characters"
            ),
        ]
        for (m, words) in cases {
            do {
                _ = try adapter.prepare(m, now: Samples.now)
                Issue.record("accepted: \(words)")
            } catch let error as SlackLimitsError {
                #expect(error.description.contains(words), "\(error)")
            }
        }
        #expect(SlackLimits.validate(text: "hi", buttons: [("ok", "http://a.example")]).isEmpty)
    }

    @Test("prepare sends the directly written body")
    func prepareUsesBody() throws {
        let adapter = try WebhookAdapter(
            url: "http://127.0.0.1:9/hook", secret: nil, format: .generic,
            settings: TransferSettings(AdapterOptions(kind: "webhook", values: [:])),
            transport: CurlTransport.shared)
        let request = try adapter.prepare(Samples.chat(), now: Samples.now)
        #expect(Array(request.body) == Array(WebhookAdapter.genericPayload(Samples.chat()).jsonText.utf8))
    }
}
