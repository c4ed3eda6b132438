import Testing
import TouchpointCore

@testable import Events

private func at(_ text: String) -> Timestamp { ISO8601.parse(text)! }

private func track(
    _ name: String, _ properties: [String: JSONValue] = [:], at time: String = "2026-11-20T10:00:00Z"
)
    -> Event
{
    Event(kind: .track, name: name, userId: "u42", timestamp: at(time), properties: properties)
}

private func identify(_ traits: [String: JSONValue]) -> Event {
    Event(kind: .identify, userId: "u42", timestamp: at("2026-11-20T10:00:00Z"), traits: traits)
}

@Suite("Applying events to a customer")
struct CustomerApplyTests {
    @Test("identify merges traits, later values win, null removes, and reports changed keys")
    func identifyMerges() {
        var c = Customer(id: "u42", traits: ["email": "a@x", "phone": "+1", "plan": "free"])
        let effect = c.apply(
            identify(["email": "b@x", "phone": nil, "plan": "free", "locale": "zh-CN", "gone": nil]))
        #expect(effect == .identified(changed: ["email", "locale", "phone"]))
        #expect(c.traits == ["email": "b@x", "plan": "free", "locale": "zh-CN"])
        #expect(c.lastActivity == nil)
        #expect(c.engagement.isEmpty)
    }

    @Test("Unsubscribed and Subscribed switch one channel off and on")
    func consentPerChannel() {
        var c = Customer(id: "u42")
        #expect(
            c.apply(track("Unsubscribed", ["channel": "email"]))
                == .consent(.channel(.email), subscribed: false))
        #expect(
            c.apply(track("Unsubscribed", ["channel": "SMS"])) == .consent(.channel(.sms), subscribed: false))
        #expect(c.optedOut == [.email, .sms])
        #expect(
            c.apply(track("Subscribed", ["channel": "email"])) == .consent(.channel(.email), subscribed: true)
        )
        #expect(c.optedOut == [.sms])
        #expect(!c.optedOutAll)
        #expect(c.lastActivity == nil)
    }

    @Test("Unsubscribed all sets the blanket flag; Subscribed all clears it and every channel opt-out")
    func consentAll() {
        var c = Customer(id: "u42")
        _ = c.apply(track("Unsubscribed", ["channel": "chat"]))
        #expect(c.apply(track("Unsubscribed", ["channel": "all"])) == .consent(.all, subscribed: false))
        #expect(c.optedOutAll)
        #expect(c.optedOut == [.chat])
        #expect(c.apply(track("Subscribed", ["channel": "all"])) == .consent(.all, subscribed: true))
        #expect(!c.optedOutAll)
        #expect(c.optedOut.isEmpty)
    }

    @Test("Subscribed to one channel after unsubscribing from all re-enables only that channel")
    func subscribeOneAfterAll() {
        var c = Customer(id: "u42")
        _ = c.apply(track("Unsubscribed", ["channel": "all"]))
        _ = c.apply(track("Subscribed", ["channel": "sms"]))
        #expect(!c.optedOutAll)
        #expect(c.optedOut == [.email, .chat])
    }

    @Test(
        "consent and engagement events without a usable channel change nothing and say so",
        arguments: [
            ("Unsubscribed", nil), ("Subscribed", JSONValue.string("fax")), ("Unsubscribed", .number(1)),
            ("Message Opened", nil), ("Message Sent", .string("all")), ("Message Clicked", .string("")),
        ] as [(String, JSONValue?)])
    func unknownChannel(name: String, channel: JSONValue?) {
        var c = Customer(id: "u42")
        let before = c
        let properties: [String: JSONValue] = channel.map { ["channel": $0] } ?? [:]
        #expect(c.apply(track(name, properties)) == .unknownChannel(event: name, channel: channel))
        #expect(c == before)
    }

    @Test("Message Sent, Opened and Clicked record engagement per channel with the message id")
    func engagement() {
        var c = Customer(id: "u42")
        let t = at("2026-11-20T10:00:00Z").instant
        #expect(
            c.apply(track("Message Sent", ["channel": "sms", "message_id": "m1"]))
                == .engagement(.sent, .sms, messageId: "m1"))
        #expect(
            c.apply(track("Message Opened", ["channel": "chat"]))
                == .engagement(.opened, .chat, messageId: nil))
        #expect(
            c.apply(track("Message Clicked", ["channel": "email", "message_id": "m2"]))
                == .engagement(.clicked, .email, messageId: "m2"))
        #expect(c.engagement.channels == [.email, .sms, .chat])
        #expect(c.engagement.counts(.sms).sends == 1)
        #expect(c.engagement.lastSend(.sms) == t)
        #expect(c.engagement.sendHours(.sms, at: t)[10] == 1)
        #expect(c.engagement.engagedHours(.chat, at: t)[10] == 1)
        #expect(c.engagement.engagedHours(.email, at: t)[10] == 1)
        #expect(c.engagement.counts(.email).sends == 0)
        #expect(c.lastActivity == nil)
        #expect(c.engagement.activityHours(at: t).allSatisfy { $0 == 0 })
    }

    @Test("Segment's Email Opened and Email Link Clicked count on email whatever the channel property says")
    func segmentAliases() {
        var c = Customer(id: "u42")
        #expect(c.apply(track("Email Opened")) == .engagement(.opened, .email, messageId: nil))
        #expect(
            c.apply(track("Email Link Clicked", ["channel": "sms", "message_id": "m3"]))
                == .engagement(.clicked, .email, messageId: "m3"))
        #expect(c.engagement.channels == [.email])
        #expect(c.engagement.engagedHours(.email, at: at("2026-11-20T10:00:00Z").instant)[10] == 2)
        #expect(c.lastActivity == nil)
    }

    @Test("other track events are activity; lastActivity only moves forward")
    func activity() {
        var c = Customer(id: "u42")
        #expect(c.apply(track("Product Added", at: "2026-11-20T10:00:00+08:00")) == .activity)
        #expect(c.apply(track("Order Completed", at: "2026-11-19T10:00:00Z")) == .activity)
        #expect(c.lastActivity == at("2026-11-20T02:00:00Z").instant)
        // Recorded in local (here UTC) weekday hours: Friday 02:00 and Thursday 10:00.
        let hours = c.engagement.activityHours(at: at("2026-11-20T02:00:00Z").instant)
        #expect(hours[2] == 1)
        // 16 h before the first event at a 90-day half-life: 0.995, to the bins' 8-bit precision.
        #expect(abs(hours[10] - 0.995) < 0.02)
        #expect(hours.filter { $0 > 0 }.count == 2)
    }

    @Test("feedback events and page/screen/group/alias are ignored, not activity")
    func ignored() {
        var c = Customer(id: "u42")
        let before = c
        #expect(c.apply(track("Email Delivered")) == .ignored)
        #expect(c.apply(track("Email Bounced")) == .ignored)
        #expect(
            c.apply(Event(kind: .other("page"), userId: "u42", timestamp: at("2026-11-20T10:00:00Z")))
                == .ignored)
        #expect(c == before)
    }
}
