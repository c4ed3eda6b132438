import Foundation
import Scheduler
import TouchpointCore

/// The Bayes-optimal scheduler: it knows the world's generative model (``Truth``: the peak and base-rate
/// grids, the curve, whether peaks are shared across channels) but not the customer's parameters, and chooses
/// by the exact posterior over them given the customer's history — the best any scheduler can do on average.
///
/// The log-likelihood of every (peak, base rate) pair is kept per channel and updated in O(grid) per send,
/// so the same object serves the offline worlds and the closed loop.
struct Ceiling {
    /// `loglik[c][peak × bases + base]`.
    private var loglik: [[Double]]
    let sharedPeak: Bool
    private static let peaks = Truth.peakGrid.count
    private static let bases = Truth.baseGrid.count

    /// `log(b × g)` and `log(1 − b × g)` per quarter distance and base, so an update is additions only.
    private static let opened: [Double] = table { log($0) }
    private static let missed: [Double] = table { log(max(1 - $0, 1e-300)) }
    private static func table(_ f: (Double) -> Double) -> [Double] {
        var t: [Double] = []
        for d in 0...48 { for b in Truth.baseGrid { t.append(f(b * Truth.curveTable[d])) } }
        return t
    }

    init(sharedPeak: Bool) {
        self.sharedPeak = sharedPeak
        loglik = Array(repeating: Array(repeating: 0, count: Self.peaks * Self.bases), count: 3)
    }

    /// Conditions on one send at local quarter `q` on `channel` and its outcome.
    mutating func observe(_ channel: Channel, quarter q: Int, opened: Bool) {
        let c = channel.index
        let t = opened ? Self.opened : Self.missed
        for k in 0..<Self.peaks {
            let row = Truth.distance(q, Truth.peakGrid[k]) * Self.bases
            let base = k * Self.bases
            for b in 0..<Self.bases { loglik[c][base + b] += t[row + b] }
        }
    }

    /// Per channel and candidate quarter, the posterior expected open probability.
    func expected(channels: [Channel], quarters: [Int]) -> [[Double]] {
        // Per channel and peak: the marginal likelihood (over bases) and the posterior mean base.
        var logMarginal = Array(repeating: [Double](repeating: 0, count: Self.peaks), count: 3)
        var meanBase = logMarginal
        for c in 0..<3 {
            for k in 0..<Self.peaks {
                let row = loglik[c][(k * Self.bases)..<((k + 1) * Self.bases)]
                let top = row.max()!
                var z = 0.0
                var m = 0.0
                for (b, l) in zip(Truth.baseGrid, row) {
                    let w = exp(l - top)
                    z += w
                    m += w * b
                }
                logMarginal[c][k] = top + log(z / Double(Self.bases))
                meanBase[c][k] = m / z
            }
        }
        func weights(_ logw: [Double]) -> [Double] {
            let top = logw.max()!
            let w = logw.map { exp($0 - top) }
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }
        var shared: [Double] = []
        if sharedPeak {
            // Channels without data contribute a constant, so summing over all of them is exact.
            var logw = [Double](repeating: 0, count: Self.peaks)
            for c in 0..<3 { for k in 0..<Self.peaks { logw[k] += logMarginal[c][k] } }
            shared = weights(logw)
        }
        return channels.map { channel in
            let c = channel.index
            let w = sharedPeak ? shared : weights(logMarginal[c])
            return quarters.map { q in
                var v = 0.0
                for k in 0..<Self.peaks {
                    v += w[k] * meanBase[c][k] * Truth.curve(quarter: q, peak: Truth.peakGrid[k])
                }
                return v
            }
        }
    }
}
