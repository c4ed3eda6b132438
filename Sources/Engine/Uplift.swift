import Foundation

/// The difference of two proportions with Newcombe's hybrid score interval (Newcombe 1998, method 10):
/// each proportion gets a Wilson score interval, and the difference's limits combine their distances
/// from the estimates. Unlike the Wald interval it keeps its coverage with small counts and rates near 0.
public struct Uplift: Sendable, Hashable {
    /// Conversions and size of the group that received the messages.
    public var receivers: (converted: Int, total: Int)
    /// Conversions and size of the control group.
    public var holdout: (converted: Int, total: Int)
    /// The two-sided confidence level (default 95 %).
    public var level: Double

    /// The name of the interval method, for output.
    public static let method = "Newcombe hybrid score (Wilson) interval for a difference of proportions"

    /// An uplift from counts.
    public init(
        receivers: (converted: Int, total: Int), holdout: (converted: Int, total: Int), level: Double = 0.95
    ) {
        self.receivers = receivers
        self.holdout = holdout
        self.level = level
    }

    public static func == (a: Uplift, b: Uplift) -> Bool {
        a.receivers == b.receivers && a.holdout == b.holdout && a.level == b.level
    }

    public func hash(into h: inout Hasher) {
        h.combine(receivers.converted)
        h.combine(receivers.total)
        h.combine(holdout.converted)
        h.combine(holdout.total)
        h.combine(level)
    }

    /// Receivers' rate minus the holdout's; `nil` when a group is empty.
    public var difference: Double? {
        guard receivers.total > 0, holdout.total > 0 else { return nil }
        return Double(receivers.converted) / Double(receivers.total) - Double(holdout.converted)
            / Double(holdout.total)
    }

    /// The interval for ``difference``; `nil` when a group is empty.
    public var interval: (lower: Double, upper: Double)? {
        guard receivers.total > 0, holdout.total > 0 else { return nil }
        let z = Uplift.quantile(0.5 + level / 2)
        let p1 = Double(receivers.converted) / Double(receivers.total)
        let p2 = Double(holdout.converted) / Double(holdout.total)
        let (l1, u1) = Uplift.wilson(receivers.converted, receivers.total, z: z)
        let (l2, u2) = Uplift.wilson(holdout.converted, holdout.total, z: z)
        let d = p1 - p2
        let lower = d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let upper = d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        return (max(-1, lower), min(1, upper))
    }

    /// The Wilson score interval of `x` successes in `n`.
    public static func wilson(_ x: Int, _ n: Int, z: Double) -> (Double, Double) {
        let n = Double(n)
        let p = Double(x) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    /// The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
    public static func quantile(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low { return -quantile(1 - p) }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
