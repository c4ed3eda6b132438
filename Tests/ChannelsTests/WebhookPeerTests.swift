import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("webhook adapter against a real HTTP peer")
struct WebhookPeerTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func adapter(_ url: String, _ extra: [String: String] = [:]) throws -> any ChannelAdapter {
        try AdapterRegistry.make(
            kind: "webhook", options: ["url": url, "timeout": "2s"].merging(extra) { $1 })
    }

    @Test("a signed generic payload arrives with Standard Webhooks headers that verify independently")
    func signedGeneric() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let message = Samples.chat()
        let now = Delivery.wallClock()
        let report = await Delivery.deliver(
            message, via: try adapter(peer.base + "/ok", ["secret": Self.secret]), now: now)
        #expect(report.outcome.name == "delivered")
        #expect(report.attempts == 1)
        let got = try #require(peer.requests.first)
        #expect(got["method"] as? String == "POST")
        #expect(recordedHeader(got, "Content-Type") == "application/json")
        #expect(recordedHeader(got, "webhook-id") == message.messageId)
        #expect(recordedHeader(got, "Idempotency-Key") == message.messageId)
        // Signed when sent, not when prepared: the attempt's own second.
        let stamp = try #require(recordedHeader(got, "webhook-timestamp").flatMap { Int64($0) })
        #expect(stamp >= now.epochSeconds && stamp <= Delivery.wallClock().epochSeconds)
        #expect(recordedHeader(got, "webhook-signature")?.hasPrefix("v1,") == true)
        let body = try #require((got["body"] as? String).map { Data($0.utf8) })
        let payload = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(payload["id"] as? String == message.messageId)
        #expect(payload["channel"] as? String == "chat")
        #expect(payload["to"] as? String == "C024BE91L")
        #expect(payload["rule"] as? String == "order_shipped")
        #expect(payload["customer"] as? String == "u-7")
        #expect(payload["text"] as? String == "Order *#1001* shipped 🚚")
        #expect((payload["buttons"] as? [[String: String]])?.first?["url"] == "https://example.com/t/1001")
        #expect(payload["subject"] == nil)

        let line = String(data: try JSONSerialization.data(withJSONObject: got), encoding: .utf8)!
        let python = Python.find(importing: ["standardwebhooks"]) ?? Python.find()
        let verifier = try #require(python)
        let check = try Python.run(
            verifier,
            [PeerProcess.peersFolder.appendingPathComponent("verify_webhook.py").path, Self.secret, line])
        #expect(check.status == 0, "\(check.output)")
        if check.output.hasPrefix("hmac") {
            print(
                "note: PyPI standardwebhooks is not installed; the signature was checked with Python's hmac instead"
            )
        }
    }

    @Test("without a secret no signature headers are sent, but the idempotency key is")
    func unsigned() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        _ = await Delivery.deliver(Samples.chat(), via: try adapter(peer.base + "/ok"))
        let got = try #require(peer.requests.first)
        #expect(recordedHeader(got, "webhook-signature") == nil)
        #expect(recordedHeader(got, "Idempotency-Key") == Samples.chat().messageId)
    }

    @Test("format slack posts text plus blocks with URL buttons")
    func slack() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.chat(), via: try adapter(peer.base + "/ok", ["format": "slack"]))
        #expect(report.outcome.name == "delivered")
        let body = try #require((peer.requests.first?["body"] as? String).map { Data($0.utf8) })
        let payload = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(payload["text"] as? String == "Order *#1001* shipped 🚚")
        let blocks = try #require(payload["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["section", "actions"])
        let buttons = try #require(blocks[1]["elements"] as? [[String: Any]])
        #expect(
            buttons.map { $0["url"] as? String } == ["https://example.com/t/1001", "https://example.com/h"])
        #expect(buttons.map { ($0["text"] as? [String: Any])?["text"] as? String } == ["Track", "Help"])
    }

    @Test("410 disables the endpoint after one attempt")
    func gone() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let report = await Delivery.deliver(Samples.chat(), via: try adapter(peer.base + "/status/410"))
        #expect(report.outcome == .disableEndpoint(answer: "status 410: {\"status\": 410}"))
        #expect(report.attempts == 1)
        #expect(peer.requests.count == 1)
    }

    @Test("429 is retried after its Retry-After, with byte-identical bodies, up to the attempt limit")
    func tooManyRequests() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let sleeper = SleepRecorder()
        let report = await Delivery.deliver(
            Samples.chat(),
            via: try adapter(peer.base + "/status/429?retry_after=1", ["secret": Self.secret]),
            retries: RetryPolicy(maxAttempts: 3), sleep: sleeper.sleep)
        #expect(report.outcome.isRetryable)
        #expect(report.attempts == 3)
        #expect(sleeper.recorded == [1000, 1000])
        let got = peer.requests
        #expect(got.count == 3)
        #expect(Set(got.map { $0["body"] as? String }).count == 1)
        #expect(Set(got.map { recordedHeader($0, "webhook-id") }) == [Samples.chat().messageId])
    }

    @Test(
        "each attempt is signed at its own time under the same webhook-id, and every signature verifies (issue 12 #4, issue 15)"
    )
    func signedPerAttempt() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.base + "/status/503", ["secret": Self.secret])
        let request = try a.prepare(Samples.chat(), now: Samples.now)
        #expect(request.header("webhook-signature") == nil, "nothing signed is stored")
        _ = await a.send(request)
        // Wait into the next second, so the second attempt's timestamp must differ if it is made at send time.
        let first = Delivery.wallClock().epochSeconds
        while Delivery.wallClock().epochSeconds == first { try await Task.sleep(nanoseconds: 50_000_000) }
        _ = await a.send(request)
        let got = peer.requests
        #expect(got.count == 2)
        #expect(Set(got.map { recordedHeader($0, "webhook-id") }) == [Samples.chat().messageId])
        let stamps = got.compactMap { recordedHeader($0, "webhook-timestamp").flatMap { Int64($0) } }
        #expect(stamps.count == 2 && stamps[0] < stamps[1], "\(stamps)")
        #expect(stamps.allSatisfy { $0 != Samples.now.epochSeconds }, "not the prepare time")
        let python = try #require(Python.find(importing: ["standardwebhooks"]) ?? Python.find())
        for record in got {
            let line = String(data: try JSONSerialization.data(withJSONObject: record), encoding: .utf8)!
            let check = try Python.run(
                python,
                [PeerProcess.peersFolder.appendingPathComponent("verify_webhook.py").path, Self.secret, line])
            #expect(check.status == 0, "\(check.output)")
        }
    }

    @Test("the URL is the adapter's at send time, not stored with the request")
    func urlResolvedAtSend() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let old = try adapter("https://hooks.slack.example/services/T0/B0/SECRET", ["format": "slack"])
        let request = try old.prepare(Samples.chat(), now: Samples.now)
        let encoded = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        #expect(!encoded.contains("SECRET") && !encoded.contains("hooks.slack"))
        let current = try adapter(peer.base + "/ok", ["format": "slack"])
        #expect(await current.send(request).name == "delivered")
        #expect(peer.requests.count == 1)
    }

    @Test("5xx is retried with capped, jittered backoff; other 4xx is permanent at once")
    func serverErrorsAndClientErrors() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let sleeper = SleepRecorder()
        let policy = RetryPolicy(maxAttempts: 4, baseDelayMilliseconds: 100, maxDelayMilliseconds: 250)
        let report = await Delivery.deliver(
            Samples.chat(), via: try adapter(peer.base + "/status/503"), retries: policy, sleep: sleeper.sleep
        )
        #expect(report.attempts == 4)
        #expect(report.outcome.isRetryable)
        #expect(zip(sleeper.recorded, [100, 200, 250]).allSatisfy { $0 >= 0 && $0 <= $1 })
        #expect(sleeper.recorded.count == 3)

        let refused = await Delivery.deliver(
            Samples.chat(), via: try adapter(peer.base + "/status/400"), retries: policy)
        #expect(refused.outcome.name == "failed")
        #expect(refused.attempts == 1)
    }

    @Test("a peer that hangs times out and is retried (the receiver deduplicates on webhook-id)")
    func hang() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.base + "/hang", ["timeout": "1s"])
        let outcome = await a.send(try a.prepare(Samples.chat(), now: Samples.now))
        guard case .retry(nil, let answer) = outcome else {
            Issue.record("expected retry, got \(outcome)")
            return
        }
        #expect(answer.hasPrefix("curl 28:"))
    }

    @Test("a peer that closes without answering is retried")
    func closed() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.base + "/close")
        let outcome = await a.send(try a.prepare(Samples.chat(), now: Samples.now))
        #expect(outcome.isRetryable, "\(outcome)")
        #expect(outcome.answer.hasPrefix("curl 52:") || outcome.answer.hasPrefix("curl 56:"), "\(outcome)")
    }

    @Test("nobody listening is retried")
    func refused() async throws {
        let a = try adapter("http://127.0.0.1:\(try closedPort())/ok")
        let outcome = await a.send(try a.prepare(Samples.chat(), now: Samples.now))
        guard case .retry(nil, let answer) = outcome else {
            Issue.record("expected retry, got \(outcome)")
            return
        }
        #expect(answer.hasPrefix("curl 7:"))
    }
}
