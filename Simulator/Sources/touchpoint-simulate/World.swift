import Events
import Foundation
import Scheduler
import TouchpointCore

/// Draws events from personas' truth: activity, and messages with their opens.
struct World {
    var personas: [Persona]
    var rng: SeededGenerator
    /// Sends and attributed opens per channel and local send hour, for the "population best hour" baseline
    /// (what a per-audience optimiser would know).
    var sends = [[Double]](repeating: [Double](repeating: 0, count: 24), count: 3)
    var opens = [[Double]](repeating: [Double](repeating: 0, count: 24), count: 3)

    init(seed: UInt64, customers: Int, world kind: Persona.World) {
        rng = SeededGenerator(seed: seed)
        var personas: [Persona] = []
        for i in 0..<customers {
            personas.append(Persona.draw(id: "c\(i)", rng: &rng, world: kind))
        }
        self.personas = personas
    }

    static func event(_ name: String, _ user: String, _ t: Instant, _ props: [String: JSONValue] = [:])
        -> Event
    {
        Event(
            kind: .track, name: name, userId: user, timestamp: Timestamp(instant: t, offsetSeconds: 0),
            properties: props)
    }

    /// The `identify` that gives the profile its addresses and zone.
    func identify(_ i: Int, at t: Instant) -> Event {
        let p = personas[i]
        var traits: [String: JSONValue] = [
            "email": .string(p.id + "@example.com"), "phone": .string("+15550000000"),
            "timezone": .string(p.zoneName),
        ]
        if p.reachable.contains(.chat) { traits["chat_id"] = .string("chat-" + p.id) }
        return Event(
            kind: .identify, userId: p.id, timestamp: Timestamp(instant: t, offsetSeconds: 0), traits: traits)
    }

    /// `track` activity in `[from, to)`: most at the customer's good hours, some at any waking hour.
    mutating func activity(_ i: Int, from: Instant, to: Instant) -> [Event] {
        let p = personas[i]
        var out: [Event] = []
        var day = p.zone.startOfDay(from)
        while day < to {
            let weekend = p.zone.fields(day + .hours(12)).weekday >= 5
            for _ in 0..<rng.poisson(p.activityPerDay) {
                let hour =
                    rng.unit() < 0.75 ? Double(rng.pick(p.curve(weekend: weekend))) : 7 + 16 * rng.unit()
                let t = p.zone.atLocal(day: day, hours: hour.rounded(.down) + rng.unit())
                if t >= from && t < to { out.append(Self.event("Product Viewed", p.id, t)) }
            }
            day = p.zone.startOfDay(day + .hours(36))
        }
        return out
    }

    /// A message sent at `at` on `channel`, and its open drawn from the truth; returns the events and the
    /// true open probability.
    mutating func message(_ i: Int, _ channel: Channel, at: Instant, id: String, tally: Bool) -> (
        events: [Event], probability: Double
    ) {
        let p = personas[i]
        let probability = p.openProbability(channel, at: at)
        var events = [
            Self.event(
                "Message Sent", p.id, at, ["channel": .string(channel.rawValue), "message_id": .string(id)])
        ]
        // Day-to-day noise on top of the Bernoulli draw: some days the customer is busier.
        let noisy = min(1, probability * exp(0.3 * gaussian() - 0.045))
        let opened = rng.unit() < noisy
        if opened {
            // Most opens follow quickly; some wait until the customer next looks (a later, unrelated hour).
            let lagHours = rng.unit() < 0.85 ? rng.exponential(0.75) : 2 + 28 * rng.unit()
            events.append(
                Self.event(
                    "Message Opened", p.id, at + TimeSpan(seconds: Int64(lagHours * 3600)),
                    ["channel": .string(channel.rawValue), "message_id": .string(id)]))
        }
        if tally {
            let h = p.zone.fields(at).hour
            sends[channel.index][h] += 1
            if opened { opens[channel.index][h] += 1 }
        }
        return (events, probability)
    }

    /// History sends like a naive previous system's: about every other day, a random reachable channel, a
    /// random waking hour (08:00–21:00 local).
    mutating func history(_ i: Int, from: Instant, to: Instant) -> [Event] {
        let p = personas[i]
        var out: [Event] = []
        var day = p.zone.startOfDay(from)
        var n = 0
        while day < to {
            if rng.unit() < 0.5 {
                let channel = p.reachable[Int(rng.unit() * Double(p.reachable.count))]
                let t = p.zone.atLocal(day: day, hours: 8 + 13 * rng.unit())
                if t >= from && t < to {
                    out += message(i, channel, at: t, id: "h-\(p.id)-\(n)", tally: true).events
                    n += 1
                }
            }
            day = p.zone.startOfDay(day + .hours(36))
        }
        return out
    }

    mutating func gaussian() -> Double {
        (-2 * log(1 - rng.unit() * 0.999_999)).squareRoot() * cos(2 * Double.pi * rng.unit())
    }

    /// The channel and local send hour with the best smoothed open rate over the history, per channel.
    func populationRate(_ channel: Channel, hour: Int? = nil) -> Double {
        let c = channel.index
        if let hour { return (opens[c][hour] + 1) / (sends[c][hour] + 2) }
        return (opens[c].reduce(0, +) + 1) / (sends[c].reduce(0, +) + 2)
    }
}
