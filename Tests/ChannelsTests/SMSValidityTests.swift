import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("twilio ValidityPeriod: a text queued at the provider never arrives inside quiet hours")
struct SMSValidityTests {
    func form(_ body: String) -> [String: String] {
        var c = URLComponents()
        c.percentEncodedQuery = body
        var out: [String: String] = [:]
        for item in c.queryItems ?? [] { out[item.name] = item.value }
        return out
    }

    /// Quiet hours in UTC starting `minutes` from now (on a whole minute) and lasting one hour.
    func quiet(startingIn minutes: Int, after now: Instant) -> String {
        let f = Zone.utc.fields(now)
        let start = (f.hour * 60 + f.minute + minutes) % 1440
        let end = (start + 60) % 1440
        return QuietHours(startMinute: start, endMinute: end).description
    }

    @Test("the form carries ValidityPeriod = seconds until quiet hours begin, counted at the attempt")
    func validityAtThePeer() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let adapter = try AdapterRegistry.make(
            kind: "twilio",
            options: [
                "account_sid": "AC123", "auth_token": "t", "from": "+15550001111",
                "base_url": peer.base + "/ok",
            ])
        var message = Samples.sms()
        let now = Delivery.wallClock()
        message.quietHours = quiet(startingIn: 120, after: now)
        message.timezone = "UTC"
        let outcome = await adapter.send(try adapter.prepare(message, now: now))
        #expect(outcome.name == "delivered", "\(outcome)")
        let got = try #require(peer.requests.first)
        let fields = form(try #require(got["body"] as? String))
        // 2 h to the minute the quiet hours start on, less the seconds already gone in this minute and
        // however long the send took to start.
        let validity = try #require(fields["ValidityPeriod"].flatMap { Int($0) })
        #expect((7_080...7_200).contains(validity), "ValidityPeriod \(validity)")
        #expect(fields["Body"] == message.text)
        // The note the request carries is the adapter's, never a header on the wire.
        #expect(recordedHeader(got, TwilioAdapter.quietHoursHeader) == nil)
    }

    @Test("no ValidityPeriod without quiet hours, nor when they begin 4 h or more from now")
    func omittedWhenFarOrUnset() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let adapter = try AdapterRegistry.make(
            kind: "twilio",
            options: [
                "account_sid": "AC123", "auth_token": "t", "from": "+15550001111",
                "base_url": peer.base + "/ok",
            ])
        var far = Samples.sms(id: "far")
        far.quietHours = quiet(startingIn: 300, after: Delivery.wallClock())
        far.timezone = "UTC"
        for message in [Samples.sms(id: "unset"), far] {
            _ = await adapter.send(try adapter.prepare(message, now: Samples.now))
        }
        let bodies = peer.requests.compactMap { $0["body"] as? String }.map(form)
        #expect(bodies.count == 2)
        #expect(bodies.allSatisfy { $0["ValidityPeriod"] == nil && $0["Body"] != nil })
    }

    @Test("validity in the customer's zone: capped, absent inside quiet hours, across midnight")
    func pureValidity() {
        // 2026-11-23T12:00:00Z is 20:00 in Shanghai: 21:00 quiet hours are an hour away.
        let now = Samples.now
        #expect(TwilioAdapter.validityPeriod("21:00-08:00 Asia/Shanghai", now: now) == 3_600)
        // Quiet from 22:30 local: two and a half hours away.
        #expect(TwilioAdapter.validityPeriod("22:30-08:00 Asia/Shanghai", now: now) == 9_000)
        // Quiet from 01:00 local: 5 h away, past Twilio's 4 h limit.
        #expect(TwilioAdapter.validityPeriod("01:00-07:00 Asia/Shanghai", now: now) == nil)
        // Already quiet (19:00-08:00 covers 20:00): a transactional-only situation, nothing to bound.
        #expect(TwilioAdapter.validityPeriod("19:00-08:00 Asia/Shanghai", now: now) == nil)
        // New York is at 07:00: quiet 09:00-10:00 is two hours off.
        #expect(TwilioAdapter.validityPeriod("09:00-10:00 America/New_York", now: now) == 7_200)
        #expect(TwilioAdapter.validityPeriod(nil, now: now) == nil)
        #expect(TwilioAdapter.validityPeriod("garbage", now: now) == nil)
    }
}
