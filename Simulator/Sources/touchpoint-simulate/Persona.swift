import Events
import Foundation
import Scheduler
import TouchpointCore

/// One synthetic customer's hidden truth: how likely a message is opened, by channel and local send hour.
///
/// The open probability of a message sent at local hour `h` on channel `c` is `base[c] × curve(h)`, with
/// `curve` peaking at 1. The scheduler never sees this, only the events drawn from it.
struct Persona {
    /// The shape of a customer's day.
    enum Shape: String, CaseIterable {
        /// One peak, about ± 2 h wide.
        case peak
        /// Two peaks (e.g. morning and evening).
        case bimodal
        /// The hour does not matter.
        case flat
    }

    /// Which shapes a world's customers have.
    enum World: String {
        /// 50 % one peak, 30 % bimodal, 20 % flat.
        case mixed
        /// Everyone has one peak ± 2 h: the world where the hour matters most.
        case peak
        /// Nobody's hour matters (a control).
        case flat
    }

    var id: String
    var zoneName: String
    var zone: Zone
    /// Open probability at the best hour, per channel (`0` for a channel the customer has no address on).
    var base: [Double]
    var reachable: [Channel]
    var shape: Shape
    /// Multiplier per local hour on weekdays and at weekends, `0...1`.
    var weekday: [Double]
    var weekend: [Double]
    /// `track` activity events per day.
    var activityPerDay: Double

    /// The true open probability of a message sent on `channel` at `instant`.
    func openProbability(_ channel: Channel, at instant: Instant) -> Double {
        let f = zone.fields(instant)
        let curve = f.weekday >= 5 ? weekend : weekday
        return base[channel.index] * curve[f.hour]
    }

    /// The multiplier of a local hour, for drawing activity times.
    func curve(weekend isWeekend: Bool) -> [Double] { isWeekend ? weekend : weekday }
}

extension Channel {
    /// A dense index into per-channel arrays.
    var index: Int {
        switch self {
        case .email: 0
        case .sms: 1
        case .chat: 2
        }
    }
}

extension Persona {
    /// Zones with whole-hour offsets on both sides of DST, and a few without DST.
    static let zones = [
        "Asia/Singapore", "Asia/Shanghai", "Europe/London", "Europe/Berlin", "America/New_York",
        "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Australia/Sydney",
    ]

    /// Draws a persona of `world`.
    static func draw(id: String, rng: inout SeededGenerator, world: World) -> Persona {
        let zoneName = zones[Int(rng.unit() * Double(zones.count))]
        // Everyone has email and a phone; 30 % have no chat id.
        var reachable: [Channel] = [.email, .sms]
        if rng.unit() >= 0.3 { reachable.append(.chat) }
        let preferred = reachable[Int(rng.unit() * Double(reachable.count))]
        var base = [0.0, 0.0, 0.0]
        for c in reachable {
            base[c.index] = c == preferred ? 0.35 + 0.3 * rng.unit() : 0.03 + 0.12 * rng.unit()
        }
        let roll = rng.unit()
        let shape: Shape
        switch world {
        case .mixed: shape = roll < 0.5 ? .peak : roll < 0.8 ? .bimodal : .flat
        case .peak: shape = .peak
        case .flat: shape = .flat
        }
        let floor = 0.08 + 0.07 * rng.unit()
        var weekday = [Double](repeating: 1, count: 24)
        var weekend = weekday
        switch shape {
        case .flat:
            break
        case .peak:
            // Mostly waking hours; some peaks sit in or near quiet hours, where the best allowed hour is a
            // shoulder of the peak.
            let centre = 7 + 16 * rng.unit()
            let sigma = 1.2 + 0.6 * rng.unit()
            let shift = rng.unit() < 0.5 ? 1 + 2 * rng.unit() : 0
            weekday = bump([(centre, sigma, 1)], floor: floor)
            weekend = bump([(centre + shift, sigma, 1)], floor: floor)
        case .bimodal:
            let morning = 7 + 3 * rng.unit()
            let evening = 17 + 4 * rng.unit()
            let second = 0.5 + 0.5 * rng.unit()
            let sigma = 1.0 + 0.5 * rng.unit()
            let peaks =
                rng.unit() < 0.5
                ? [(morning, sigma, 1.0), (evening, sigma, second)]
                : [(morning, sigma, second), (evening, sigma, 1.0)]
            weekday = bump(peaks, floor: floor)
            weekend = bump(peaks.map { ($0.0 + 1.5, $0.1, $0.2) }, floor: floor)
        }
        return Persona(
            id: id, zoneName: zoneName, zone: Zone(zoneName)!, base: base, reachable: reachable,
            shape: shape, weekday: weekday, weekend: weekend, activityPerDay: 0.3 + 1.7 * rng.unit())
    }

    /// `floor + (1 - floor) × max of Gaussian bumps` on the 24-hour circle.
    private static func bump(_ peaks: [(Double, Double, Double)], floor: Double) -> [Double] {
        (0..<24).map { h in
            var best = 0.0
            for (centre, sigma, height) in peaks {
                let raw = abs(Double(h) + 0.5 - centre).truncatingRemainder(dividingBy: 24)
                let d = min(raw, 24 - raw)
                best = max(best, height * exp(-d * d / (2 * sigma * sigma)))
            }
            return floor + (1 - floor) * best
        }
    }
}
