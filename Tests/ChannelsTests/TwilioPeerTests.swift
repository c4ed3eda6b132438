import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("twilio adapter against a real HTTP peer")
struct TwilioPeerTests {
    func adapter(_ base: String, _ extra: [String: String] = [:]) throws -> any ChannelAdapter {
        try AdapterRegistry.make(
            kind: "twilio",
            options: [
                "account_sid": "AC123", "auth_token": "s3cret", "from": "+15550001111", "base_url": base,
                "timeout": "2s",
            ]
            .merging(extra) { $1 })
    }

    func form(_ body: String) -> [String: String] {
        var c = URLComponents()
        c.percentEncodedQuery = body
        var out: [String: String] = [:]
        for item in c.queryItems ?? [] { out[item.name] = item.value }
        return out
    }

    @Test("a form POST with basic auth arrives; the provider id is the answer's sid")
    func delivered() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let message = Samples.sms()
        let report = await Delivery.deliver(
            message,
            via: try adapter(peer.base + "/ok", ["status_callback": "https://example.com/cb?a=1&b=2"]))
        guard case .delivered(let sid, _) = report.outcome else {
            Issue.record("not delivered: \(report.outcome)")
            return
        }
        #expect(sid == "SM00000000000000000000000000000001")
        let got = try #require(peer.requests.first)
        #expect(got["path"] as? String == "/ok/2010-04-01/Accounts/AC123/Messages.json")
        #expect(
            recordedHeader(got, "Authorization") == "Basic " + Data("AC123:s3cret".utf8).base64EncodedString()
        )
        #expect(recordedHeader(got, "Content-Type") == "application/x-www-form-urlencoded")
        #expect(recordedHeader(got, "Idempotency-Key") == message.messageId)
        let fields = form(try #require(got["body"] as? String))
        #expect(
            fields == [
                "To": "+15558675310", "From": "+15550001111", "Body": "Code 1234 & more: 50% off! ✓",
                "StatusCallback": "https://example.com/cb?a=1&b=2",
            ])
    }

    @Test(
        "a message's own status callback (the daemon's signed /hooks/twilio/status URL) replaces the adapter's"
    )
    func perMessageStatusCallback() throws {
        let a = try adapter("http://127.0.0.1:1", ["status_callback": "https://example.com/cb"])
        var message = Samples.sms()
        message.statusCallbackURL = "https://t.shop.example/hooks/twilio/status?t=abc_-1"
        let body = String(decoding: try a.prepare(message, now: Samples.now).body, as: UTF8.self)
        #expect(form(body)["StatusCallback"] == "https://t.shop.example/hooks/twilio/status?t=abc_-1")
        #expect(
            form(String(decoding: try a.prepare(Samples.sms(), now: Samples.now).body, as: UTF8.self))[
                "StatusCallback"] == "https://example.com/cb")
    }

    @Test("a messaging service sid replaces From")
    func messagingService() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let a = try AdapterRegistry.make(
            kind: "twilio",
            options: [
                "account_sid": "AC123", "auth_token": "t", "messaging_service_sid": "MG9",
                "base_url": peer.base + "/ok",
            ])
        _ = await a.send(try a.prepare(Samples.sms(), now: Samples.now))
        let fields = form(try #require(peer.requests.first?["body"] as? String))
        #expect(fields["MessagingServiceSid"] == "MG9")
        #expect(fields["From"] == nil)
    }

    @Test("the persisted request holds no credentials")
    func noSecretsPersisted() throws {
        let request = try adapter("http://127.0.0.1:1").prepare(Samples.sms(), now: Samples.now)
        let encoded = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        #expect(!encoded.contains("s3cret"))
        #expect(!encoded.contains(Data("AC123:s3cret".utf8).base64EncodedString()))
    }

    @Test("429 retries, other 4xx is permanent, 5xx is ambiguous (Twilio does not deduplicate)")
    func statuses() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let sleeper = SleepRecorder()
        let limited = await Delivery.deliver(
            Samples.sms(), via: try adapter(peer.base + "/status/429"), retries: RetryPolicy(maxAttempts: 2),
            sleep: sleeper.sleep)
        #expect(limited.attempts == 2)
        #expect(limited.outcome.isRetryable)
        let bad = await Delivery.deliver(Samples.sms(), via: try adapter(peer.base + "/status/400"))
        #expect(bad.outcome.name == "failed")
        #expect(bad.attempts == 1)
        let broken = await Delivery.deliver(Samples.sms(), via: try adapter(peer.base + "/status/500"))
        #expect(broken.outcome.name == "unknown")
        #expect(broken.attempts == 1)
    }

    @Test("a timeout after the request went out is ambiguous; nobody listening is retried")
    func transportFailures() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let hung = try adapter(peer.base + "/hang", ["timeout": "1s"])
        let outcome = await hung.send(try hung.prepare(Samples.sms(), now: Samples.now))
        #expect(outcome.name == "unknown", "\(outcome)")
        let closed = try adapter(peer.base + "/close")
        #expect(await closed.send(try closed.prepare(Samples.sms(), now: Samples.now)).name == "unknown")
        let nobody = try adapter("http://127.0.0.1:\(try closedPort())")
        #expect(await nobody.send(try nobody.prepare(Samples.sms(), now: Samples.now)).isRetryable)
    }

    @Test("a 201 whose body is not Twilio's JSON (no sid) is unknown, not delivered, and not re-sent")
    func createdWithoutSid() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.sms(), via: try adapter(peer.base + "/nosid"), retries: RetryPolicy(maxAttempts: 3))
        #expect(report.outcome.name == "unknown", "\(report.outcome)")
        #expect(report.outcome.answer.contains("without a Twilio message sid"))
        #expect(report.attempts == 1)
        #expect(peer.requests.count == 1)
    }

    @Test("a To that is not E.164 is refused before anything is sent (invalid-address)")
    func invalidTo() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.base)
        for bad in ["not-a-phone", "15558675310", "+0123456", "+1", "+1234567890123456", "+1 555 0100", ""] {
            var m = Samples.sms()
            m.to = bad
            #expect(throws: InvalidAddress.self, "\(bad)") { try a.prepare(m, now: Samples.now) }
        }
        var m = Samples.sms()
        m.to = "whatsapp:+15558675310"
        #expect(throws: Never.self) { try a.prepare(m, now: Samples.now) }
        var bad = Samples.sms()
        bad.to = "not-a-phone"
        let report = await Delivery.deliver(bad, via: a)
        #expect(report.outcome.name == "failed")
        #expect(report.attempts == 0)
        #expect(peer.requests.isEmpty)
    }
}
