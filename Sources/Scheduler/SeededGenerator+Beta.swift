import Foundation
import TouchpointCore

extension SeededGenerator {
    /// A Beta(`alpha`, `beta`) draw, as `X / (X + Y)` of two Gamma draws; both parameters must be positive.
    mutating func beta(_ alpha: Double, _ beta: Double) -> Double {
        let x = gamma(alpha)
        let y = gamma(beta)
        let sum = x + y
        // Both draws can underflow to 0 for tiny shapes; the mean is the honest answer then.
        return sum > 0 ? x / sum : alpha / (alpha + beta)
    }

    /// A Gamma(`shape`, 1) draw by Marsaglia and Tsang (2000), with the `U^(1/shape)` boost for shape < 1.
    mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 {
            let boost = pow(openUnit(), 1 / shape)
            return gamma(shape + 1) * boost
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal()
            let t = 1 + c * x
            guard t > 0 else { continue }
            let v = t * t * t
            let u = openUnit()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A standard normal draw (Box–Muller; the second variate is dropped to keep the state simple).
    mutating func normal() -> Double {
        let u1 = openUnit()
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A uniform draw in (0, 1]: never 0, so `log` and `pow(_, 1/a)` stay finite.
    mutating func openUnit() -> Double { 1 - unit() }
}
