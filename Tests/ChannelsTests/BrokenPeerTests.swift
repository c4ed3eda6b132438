import Foundation
import Testing
import TouchpointCore

@testable import Channels

/// Issue 12 #13: a garbage answer was permanent at once, and a 200 that closed early or stalled was sent
/// again (5 copies and a false dead letter).
@Suite("answers from broken peers")
struct BrokenPeerTests {
    func webhook(_ url: String) throws -> any ChannelAdapter {
        try AdapterRegistry.make(kind: "webhook", options: ["url": url, "timeout": "1s"])
    }

    func twilio(_ url: String) throws -> any ChannelAdapter {
        try AdapterRegistry.make(
            kind: "twilio",
            options: ["account_sid": "AC1", "auth_token": "t", "from": "+1", "url": url, "timeout": "1s"])
    }

    @Test(
        "an answer without a status line (HTTP/0.9 to libcurl) or a garbled one is transient, not permanent")
    func garbageIsTransient() async throws {
        let peer = try HTTPPeer(script: "raw_http_peer.py")
        defer { peer.stop() }
        for path in ["/garbage", "/weird"] {
            let hook = try webhook(peer.base + path)
            let outcome = await hook.send(try hook.prepare(Samples.chat(), now: Samples.now))
            #expect(outcome.isRetryable, "\(path): \(outcome)")
            // A peer that cannot deduplicate may have it: unknown, never re-sent blindly, and never "failed".
            let sms = try twilio(peer.base + path)
            let ambiguous = await sms.send(try sms.prepare(Samples.sms(), now: Samples.now))
            #expect(ambiguous.name == "unknown", "\(path): \(ambiguous)")
        }
    }

    @Test(
        "a 2xx status line read before the connection closed or stalled is delivered, on every kind of peer")
    func twoHundredThenBreakIsDelivered() async throws {
        let peer = try HTTPPeer(script: "raw_http_peer.py")
        defer { peer.stop() }
        for path in ["/ok-close", "/ok-stall", "/status-stall"] {
            let hook = try webhook(peer.base + path)
            let outcome = await hook.send(try hook.prepare(Samples.chat(), now: Samples.now))
            #expect(outcome.name == "delivered", "\(path): \(outcome)")
            let sms = try twilio(peer.base + path)
            let texted = await sms.send(try sms.prepare(Samples.sms(), now: Samples.now))
            #expect(texted.name == "delivered", "\(path): \(texted)")
        }
        #expect(peer.requests.count == 6, "one request each, nothing re-sent")
    }

    @Test("Delivery with retries sends a 200-then-close message exactly once")
    func noCopies() async throws {
        let peer = try HTTPPeer(script: "raw_http_peer.py")
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.chat(), via: try webhook(peer.base + "/ok-close"), retries: RetryPolicy(maxAttempts: 5),
            sleep: SleepRecorder().sleep)
        #expect(report.outcome.name == "delivered")
        #expect(report.attempts == 1)
        #expect(peer.requests.count == 1)
    }
}
