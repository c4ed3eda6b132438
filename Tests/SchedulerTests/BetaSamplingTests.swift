import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Beta sampling")
struct BetaSamplingTests {
    @Test(
        "Beta draws stay in [0, 1] and average to the mean",
        arguments: [
            (2.0, 5.0), (0.5, 0.5), (0.05, 3.0), (30.0, 10.0),
        ])
    func mean(_ params: (Double, Double)) {
        var rng = SeededGenerator(seed: 7)
        var sum = 0.0
        let n = 4000
        for _ in 0..<n {
            let x = rng.beta(params.0, params.1)
            #expect(x >= 0 && x <= 1)
            sum += x
        }
        #expect(abs(sum / Double(n) - params.0 / (params.0 + params.1)) < 0.02)
    }

    @Test("Gamma draws average to the shape, below and above 1", arguments: [0.3, 1.0, 4.5])
    func gamma(_ shape: Double) {
        var rng = SeededGenerator(seed: 11)
        var sum = 0.0
        for _ in 0..<4000 { sum += rng.gamma(shape) }
        #expect(abs(sum / 4000 - shape) < 0.1 * max(shape, 1))
    }

    @Test("the same seed gives the same draws")
    func seeded() {
        var a = SeededGenerator(seed: StableID.seed("m1/email"))
        var b = SeededGenerator(seed: StableID.seed("m1/email"))
        #expect((0..<10).map { _ in a.beta(1.5, 2.5) } == (0..<10).map { _ in b.beta(1.5, 2.5) })
    }
}
