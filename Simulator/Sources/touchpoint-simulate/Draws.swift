import Events
import Foundation
import Scheduler
import TouchpointCore

extension SeededGenerator {
    /// A Poisson draw (Knuth), for small means.
    mutating func poisson(_ mean: Double) -> Int {
        let limit = exp(-mean)
        var k = 0
        var p = unit()
        while p > limit {
            k += 1
            p *= unit()
        }
        return k
    }

    /// An exponential draw with `mean`.
    mutating func exponential(_ mean: Double) -> Double { -mean * log(1 - unit() * 0.999_999) }

    /// An index drawn with probability proportional to `weights`.
    mutating func pick(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            x -= w
            if x < 0 { return i }
        }
        return weights.count - 1
    }
}

extension Zone {
    /// The instant of local midnight starting the day that contains `instant` (the first instant of it).
    func startOfDay(_ instant: Instant) -> Instant {
        let f = fields(instant)
        let into = Int64(f.hour * 3600 + f.minute * 60 + f.second) * 1000 + instant.milliseconds % 1000
        return Instant(milliseconds: instant.milliseconds - into)
    }

    /// The instant `hours` after local midnight of the day containing `instant` (approximate across DST
    /// changes, which the simulator does not need to be exact about).
    func atLocal(day instant: Instant, hours: Double) -> Instant {
        Instant(milliseconds: startOfDay(instant).milliseconds + Int64(hours * 3_600_000))
    }
}
