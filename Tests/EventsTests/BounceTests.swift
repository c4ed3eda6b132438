import Foundation
import Testing
import TouchpointCore

@testable import Events

private func event(_ name: String, _ properties: [String: JSONValue] = [:]) -> Event {
    Event(
        kind: .track, name: name, userId: "u1", timestamp: ISO8601.parse("2026-11-20T10:00:00Z")!,
        properties: properties)
}

@Suite("Bounces, complaints and machine opens")
struct BounceTests {
    func customer() -> Customer {
        Customer(id: "u1", traits: ["email": "a@example.com", "phone": "+15550001"])
    }

    @Test("a hard bounce blocks the current address on that channel, and only that channel")
    func hardBounce() {
        var c = customer()
        #expect(
            c.apply(event("Message Bounced", ["type": "hard", "channel": "email"]))
                == .bounce(.email, hard: true, blocked: true))
        #expect(c.isBlocked(.email))
        #expect(!c.isBlocked(.sms))
        #expect(c.lastActivity == nil, "a bounce is not customer activity")
    }

    @Test("the type defaults to hard and the channel to email; Segment's Email Bounced is a hard bounce")
    func defaults() {
        var a = customer()
        _ = a.apply(event("Message Bounced"))
        #expect(a.isBlocked(.email))
        var b = customer()
        _ = b.apply(event("Email Bounced"))
        #expect(b.isBlocked(.email))
    }

    @Test(
        "three soft bounces in a row block the address; a delivery or an open in between starts the count again"
    )
    func softBounces() {
        var c = customer()
        let soft = event("Message Bounced", ["type": "soft"])
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: false))
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: false))
        _ = c.apply(event("Message Delivered", ["channel": "email"]))
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: false))
        _ = c.apply(event("Message Opened", ["channel": "email"]))
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: false))
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: false))
        #expect(!c.isBlocked(.email))
        #expect(c.apply(soft) == .bounce(.email, hard: false, blocked: true))
        #expect(c.isBlocked(.email))
    }

    @Test("a complaint blocks the address like a hard bounce")
    func complaint() {
        var c = customer()
        #expect(c.apply(event("Complaint Received")) == .complaint(.email))
        #expect(c.isBlocked(.email))
        var d = customer()
        _ = d.apply(event("Email Marked as Spam"))
        #expect(d.isBlocked(.email))
    }

    @Test("the block is by address: a corrected address starts clean, the bad one stays blocked")
    func byAddress() {
        var c = customer()
        _ = c.apply(event("Message Bounced", ["channel": "sms"]))
        #expect(c.isBlocked(.sms))
        _ = c.apply(
            Event(
                kind: .identify, userId: "u1", timestamp: ISO8601.parse("2026-11-21T10:00:00Z")!,
                traits: ["phone": "+15550002"]))
        #expect(!c.isBlocked(.sms))
        _ = c.apply(
            Event(
                kind: .identify, userId: "u1", timestamp: ISO8601.parse("2026-11-22T10:00:00Z")!,
                traits: ["phone": "+15550001"]))
        #expect(c.isBlocked(.sms))
        // properties.address names the address that bounced, whatever the profile holds now.
        var d = customer()
        _ = d.apply(event("Message Bounced", ["address": "old@example.com"]))
        #expect(!d.isBlocked(.email))
        #expect(d.blockedAddresses[.email] == ["old@example.com"])
    }

    @Test("an unknown channel on a bounce changes nothing and is reported")
    func unknownChannel() {
        var c = customer()
        #expect(
            c.apply(event("Message Bounced", ["channel": "fax"]))
                == .unknownChannel(event: "Message Bounced", channel: "fax"))
        #expect(c.blockedAddresses.isEmpty)
    }

    @Test("an open or click flagged machine: true is not engagement")
    func machineOpen() {
        var c = customer()
        let effect = c.apply(event("Message Opened", ["channel": "email", "machine": true]))
        #expect(effect == .machineEngagement(.opened, .email))
        #expect(c.engagement.isEmpty)
        #expect(
            c.apply(event("Message Clicked", ["channel": "email", "machine": true]))
                == .machineEngagement(.clicked, .email))
        #expect(c.engagement.isEmpty)
        if case .engagement = c.apply(event("Message Opened", ["channel": "email", "machine": false])) {
        } else {
            Issue.record("machine: false is a person's open")
        }
        #expect(!c.engagement.isEmpty)
    }

    @Test("the bounce state survives the store's encoding, and state written before it decodes")
    func codable() throws {
        var c = customer()
        _ = c.apply(event("Message Bounced", ["channel": "sms"]))
        _ = c.apply(event("Message Bounced", ["type": "soft"]))
        let data = try JSONEncoder().encode(c)
        let back = try JSONDecoder().decode(Customer.self, from: data)
        #expect(back == c)
        // An old record has neither key.
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object.removeValue(forKey: "blockedAddresses")
        object.removeValue(forKey: "softBounces")
        let old = try JSONDecoder().decode(
            Customer.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.blockedAddresses.isEmpty && old.softBounces.isEmpty)
        #expect(old.traits == c.traits)
    }
}
