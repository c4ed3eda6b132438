import Channels
import Foundation
import Testing
import TouchpointCore

@testable import Daemon

@Suite("Prepared requests in the outbox")
struct PreparedStorageTests {
    static let chat = OutboundMessage(
        messageId: "m-1", channel: .chat, to: "C024", toName: nil, subject: nil, preheader: nil, text: "hi",
        html: nil, buttons: [], unsubscribeURL: nil, rule: "r", customerId: "u",
        createdAt: Instant(milliseconds: 0))

    static let full = PreparedRequest(
        kind: "smtp", messageId: "m-1", method: "SMTP",
        headers: [
            .init("Content-Type", "text/plain; charset=utf-8"), .init("X-Empty", ""), .init("X-中文", "雷，您好"),
        ],
        body: Data([0, 1, 2, 255, 13, 10]) + Data("body ✓".utf8), mailFrom: "news@shop.example",
        recipients: ["a@example.com", "b@example.com"], idempotencyKey: "m-1")

    @Test("the stored bytes read back as the same request, with and without optional parts")
    func roundTrip() throws {
        #expect(PreparedRequest.stored(Self.full.storedBytes()) == Self.full)
        let bare = PreparedRequest(
            kind: "webhook", messageId: "", method: "POST", body: Data(), idempotencyKey: "")
        #expect(PreparedRequest.stored(bare.storedBytes()) == bare)
    }

    @Test("rows written as JSON by an earlier version are still read")
    func readsLegacyJSON() throws {
        let json = try JSONEncoder().encode(Self.full)
        #expect(PreparedRequest.stored(json) == Self.full)
    }

    @Test("the stored bytes hold no endpoint and no signature: a Slack webhook URL is a secret (issue 12 #4)")
    func noEndpointStored() throws {
        let adapter = try WebhookAdapter(
            url: "https://hooks.slack.example/services/T0/B0/XYZSECRET", secret: "whsec_dGVzdHNlY3JldA==",
            format: .slack, settings: TransferSettings(AdapterOptions(kind: "webhook", values: [:])),
            transport: CurlTransport.shared)
        let stored = try adapter.prepare(Self.chat, now: Instant(milliseconds: 0)).storedBytes()
        let text = String(decoding: stored, as: UTF8.self)
        #expect(!text.contains("XYZSECRET") && !text.contains("hooks.slack"))
        #expect(!text.contains("webhook-signature") && !text.contains("webhook-timestamp"))
    }

    /// Layout 1 as an earlier version wrote it: the URL after the message id, and the signature headers.
    static func layoutOne(url: String, kind: String, headers: [(String, String)]) -> Data {
        var out: [UInt8] = [0x01]
        func put(_ n: Int) {
            out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        }
        func put(_ s: String) {
            put(s.utf8.count)
            out += Array(s.utf8)
        }
        put(kind)
        put("m-1")
        put(url)
        put("POST")
        put(headers.count)
        for (name, value) in headers {
            put(name)
            put(value)
        }
        put(2)
        out += Array("{}".utf8)
        out.append(0)
        put(1)
        put("to@example.com")
        put("m-1")
        return Data(out)
    }

    @Test(
        "rows of the earlier layout are read without their URL and stored signature; a file row keeps its type"
    )
    func readsLayoutOne() throws {
        let webhook = try #require(
            PreparedRequest.stored(
                Self.layoutOne(
                    url: "https://hooks.example/secret", kind: "webhook",
                    headers: [
                        ("Content-Type", "application/json"), ("webhook-id", "m-1"),
                        ("webhook-timestamp", "1"),
                        ("webhook-signature", "v1,old"),
                    ])))
        #expect(webhook.headers == [.init("Content-Type", "application/json")])
        #expect(webhook.body == Data("{}".utf8))
        let file = try #require(
            PreparedRequest.stored(
                Self.layoutOne(url: "file:///tmp/outbox/m-1.eml", kind: "file", headers: [])))
        #expect(file.header("Content-Type") == FileAdapter.emailType)
    }

    @Test("truncated, extended or garbled bytes are unreadable instead of a wrong request or a crash")
    func rejectsDamage() {
        let bytes = Self.full.storedBytes()
        #expect(PreparedRequest.stored(Data()) == nil)
        for cut in [1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(PreparedRequest.stored(bytes.prefix(cut)) == nil, "cut at \(cut)")
        }
        #expect(PreparedRequest.stored(bytes + Data([0])) == nil)
        var huge = bytes
        huge.replaceSubrange(1..<5, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(PreparedRequest.stored(huge) == nil)
        #expect(PreparedRequest.stored(Data("not json".utf8)) == nil)
    }
}
