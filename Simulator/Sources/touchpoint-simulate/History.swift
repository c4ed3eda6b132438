import Events
import Foundation
import Scheduler
import TouchpointCore

/// One message sent to a customer and whether (and when) it was opened.
struct Send {
    var channel: Channel
    var at: Instant
    var opened: Bool
    var openedAt: Instant
    var id: String

    /// The Segment-shaped events the engine would see: `Message Sent`, and `Message Opened` when opened.
    func events(user: String) -> [Event] {
        var out = [History.event("Message Sent", user, at, channel: channel, id: id)]
        if opened { out.append(History.event("Message Opened", user, openedAt, channel: channel, id: id)) }
        return out
    }
}

/// Draws histories and outcomes from the truth.
enum History {
    static func event(
        _ name: String, _ user: String, _ t: Instant, channel: Channel? = nil, id: String? = nil
    )
        -> Event
    {
        var props: [String: JSONValue] = [:]
        if let channel { props["channel"] = .string(channel.rawValue) }
        if let id { props["message_id"] = .string(id) }
        return Event(
            kind: .track, name: name, userId: user, timestamp: Timestamp(instant: t, offsetSeconds: 0),
            properties: props)
    }

    /// The customer's profile traits: addresses and zone.
    static func traits(_ t: Truth) -> [String: JSONValue] {
        var traits: [String: JSONValue] = [
            "email": .string(t.id + "@example.com"), "phone": .string("+15550000000"),
            "timezone": .string(t.zoneName),
        ]
        if t.reachable.contains(.chat) { traits["chat_id"] = .string("chat-" + t.id) }
        return traits
    }

    /// A send of `channel` at `at` with its outcome decided by `u` (uniform in [0, 1)), and an open lag drawn
    /// from `rng`: most opens follow within minutes.
    static func send(
        _ truth: Truth, _ channel: Channel, at: Instant, u: Double, id: String, rng: inout SeededGenerator
    ) -> Send {
        let p = truth.openProbability(channel, at: at)
        let lag = rng.exponential(0.25)
        return Send(
            channel: channel, at: at, opened: u < p, openedAt: at + TimeSpan(seconds: Int64(lag * 3600) + 1),
            id: id)
    }

    /// A previous system's sends in `[from, to)`: on each local day with probability `world.sendsPerDay`, a
    /// random reachable channel, at a random time 08:00–21:00 or at one of the campaign hours.
    static func draw(_ truth: Truth, world: WorldSpec, from: Instant, to: Instant, rng: inout SeededGenerator)
        -> [Send]
    {
        var out: [Send] = []
        var day = truth.zone.startOfDay(from)
        var n = 0
        while day < to {
            if rng.unit() < world.sendsPerDay {
                let channel = truth.reachable[Int(rng.unit() * Double(truth.reachable.count))]
                let hours: Double
                if let campaign = world.campaignHours {
                    hours = Double(campaign[Int(rng.unit() * Double(campaign.count))])
                } else {
                    hours = 8 + 13 * rng.unit()
                }
                let t = truth.zone.atLocal(day: day, hours: hours)
                if t >= from && t < to {
                    out.append(
                        send(truth, channel, at: t, u: rng.unit(), id: "h-\(truth.id)-\(n)", rng: &rng))
                    n += 1
                }
            }
            day = truth.zone.startOfDay(day + .hours(36))
        }
        return out
    }
}
