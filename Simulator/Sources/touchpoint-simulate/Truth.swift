import Foundation
import Scheduler
import TouchpointCore

/// One synthetic customer's hidden truth: how likely a message is opened, by channel and local send time.
///
/// `P(open | channel c, local time t) = base[c] × curve(t; peak[c])`, the curve a Gaussian bump of width
/// ``Truth/sigma`` hours around the peak on the 24-hour circle, over a small floor. Times are read to the
/// quarter hour and both the peaks and the base rates come from finite grids (``Truth/peakGrid``,
/// ``Truth/baseGrid``) drawn uniformly, so the Bayes ceiling (``Ceiling``) can compute the exact posterior.
/// The scheduler never sees any of this, only the events drawn from it.
struct Truth {
    var id: String
    var zoneName: String
    var zone: Zone
    /// Open probability at the peak, per channel index (`0` for a channel without an address).
    var base: [Double]
    /// Index into ``peakGrid`` of each channel's peak (all equal unless the world has per-channel peaks).
    var peak: [Int]
    var reachable: [Channel]

    /// Width of the bump, hours.
    static let sigma = 2.0
    /// Open probability far from the peak, as a share of the peak's.
    static let floor = 0.03
    /// Peaks: every quarter hour from 07:00 to 22:45 local (some in quiet hours: then the best allowed hour
    /// is a shoulder).
    static let peakGrid: [Int] = Array(28..<92)
    /// Base rates: 40 equally likely quantiles of Beta(1, 2.5) (mean 0.29; many customers rarely open a
    /// channel, a few nearly always).
    static let baseGrid: [Double] = (0..<40).map { i in 1 - pow(1 - (Double(i) + 0.5) / 40, 1 / 2.5) }

    /// The curve at quarter `q` (0...95 of the local day) for a peak at quarter `p`, both read at the middle
    /// of their quarter.
    static func curve(quarter q: Int, peak p: Int) -> Double { curveTable[distance(q, p)] }

    /// Circular distance in quarters, 0...48.
    static func distance(_ a: Int, _ b: Int) -> Int {
        let d = abs(a - b) % 96
        return min(d, 96 - d)
    }

    static let curveTable: [Double] = (0...48).map { d in
        let hours = Double(d) / 4
        return floor + (1 - floor) * exp(-hours * hours / (2 * sigma * sigma))
    }

    /// The local quarter hour of `instant` (0...95).
    func quarter(_ instant: Instant) -> Int {
        let f = zone.fields(instant)
        return f.hour * 4 + f.minute / 15
    }

    /// The true open probability of a message sent on `channel` at `instant`.
    func openProbability(_ channel: Channel, at instant: Instant) -> Double {
        let c = channel.index
        return base[c] * Self.curve(quarter: quarter(instant), peak: Self.peakGrid[peak[c]])
    }

    /// Zones with whole-hour offsets on both sides of DST, and a few without DST.
    static let zones = [
        "Asia/Singapore", "Asia/Shanghai", "Europe/London", "Europe/Berlin", "America/New_York",
        "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Australia/Sydney",
    ]

    /// Draws a customer: a zone, email and a phone (70 % also a chat id), a base rate per reachable channel,
    /// and one peak (or one per channel).
    static func draw(id: String, rng: inout SeededGenerator, perChannelPeaks: Bool) -> Truth {
        let zoneName = zones[Int(rng.unit() * Double(zones.count))]
        var reachable: [Channel] = [.email, .sms]
        if rng.unit() < 0.7 { reachable.append(.chat) }
        var base = [0.0, 0.0, 0.0]
        for c in reachable { base[c.index] = baseGrid[Int(rng.unit() * Double(baseGrid.count))] }
        let shared = Int(rng.unit() * Double(peakGrid.count))
        var peak = [shared, shared, shared]
        if perChannelPeaks {
            for c in 0..<3 { peak[c] = Int(rng.unit() * Double(peakGrid.count)) }
        }
        return Truth(
            id: id, zoneName: zoneName, zone: Zone(zoneName)!, base: base, peak: peak, reachable: reachable)
    }
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
