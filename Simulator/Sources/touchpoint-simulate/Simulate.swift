import Foundation
import Events
import Scheduler
import TouchpointCore

/// `touchpoint-simulate`: the scheduler against a synthetic world with a known truth.
@main
struct Simulate {
    static let usage = """
        usage: touchpoint-simulate [--seed N] [--seeds K] [--customers N] [--weeks W[,W...]] [--rounds R]
                                   [--within 24h] [--quiet 21:00-08:00] [--exploration X] [--flat]
                                   [--attribute-sends]
        """

    static func main() {
        var seed: UInt64 = 1
        var seeds = 5
        var customers = 1000
        var weeks = [8, 16]
        var rounds = 30
        var within = TimeSpan.hours(24)
        var quiet = QuietWindow(parsing: "21:00-08:00")!
        var hourMatters = true
        var attribute = false
        var exploration: Double? = nil
        var args = CommandLine.arguments.dropFirst()
        func value() -> String {
            guard let v = args.popFirst() else { fail("missing value") }
            return v
        }
        while let arg = args.popFirst() {
            switch arg {
            case "--seed": seed = UInt64(value()) ?? { fail("bad --seed") }()
            case "--seeds": seeds = Int(value()) ?? { fail("bad --seeds") }()
            case "--customers": customers = Int(value()) ?? { fail("bad --customers") }()
            case "--weeks": weeks = value().split(separator: ",").map { Int($0) ?? { fail("bad --weeks") }() }
            case "--rounds": rounds = Int(value()) ?? { fail("bad --rounds") }()
            case "--within": within = TimeSpan(parsing: value()) ?? { fail("bad --within") }()
            case "--quiet": quiet = QuietWindow(parsing: value()) ?? { fail("bad --quiet") }()
            case "--exploration": exploration = Double(value()) ?? { fail("bad --exploration") }()
            case "--flat": hourMatters = false
            case "--attribute-sends": attribute = true
            case "-h", "--help":
                print(usage)
                return
            default: fail("unknown argument \(arg)")
            }
        }
        var settings = SchedulerSettings(quietHours: quiet)
        settings.applyExploration(exploration)
        let sim = Simulation(settings: settings, quiet: quiet, within: within, attributeSends: attribute)
        let seedList = (0..<UInt64(max(seeds, 1))).map { seed &+ $0 }

        print("# touchpoint-simulate")
        print("")
        print(
            "\(customers) customers, seeds \(seedList.map(String.init).joined(separator: ",")) (medians), "
                + "window \(within), quiet hours \(quiet), world: "
                + (hourMatters ? "hour matters (50 % one peak ± 2 h, 30 % bimodal, 20 % flat)" : "flat hours")
                + (attribute ? ", population credited with send hours" : ""))
        print("")
        print(
            "| history | chosen | oracle | chosen / oracle | first channel, right away | chosen / first "
                + "| population best hour | window or quiet-hour violations | µs per decide |")
        print("|---|---|---|---|---|---|---|---|---|")
        for w in weeks {
            let runs = seedList.map {
                sim.offline(seed: $0, customers: customers, weeks: w, hourMatters: hourMatters)
            }
            let chosen = median(runs.map(\.chosen))
            let oracle = median(runs.map(\.oracle))
            let first = median(runs.map(\.firstNow))
            print(
                "| \(w) weeks | \(f(chosen)) | \(f(oracle)) | \(f(median(runs.map { $0.chosen / $0.oracle }))) "
                    + "| \(f(first)) | \(f(median(runs.map { $0.chosen / $0.firstNow }), 2))× "
                    + "| \(f(median(runs.map(\.populationBest)))) | \(runs.map(\.violations).reduce(0, +)) "
                    + "| \(f(median(runs.map(\.microseconds)), 1)) |")
        }
        guard rounds > 0 else { return }
        print("")
        print("Closed loop: no message history (4 weeks of activity only), \(rounds) rounds two days apart.")
        print("")
        let loops = seedList.map {
            sim.closedLoop(seed: $0, customers: customers, rounds: rounds, hourMatters: hourMatters)
        }
        print("| rounds | mean regret per round | cumulative regret (end of span) |")
        print("|---|---|---|")
        var lo = 0
        var cumulative = 0.0
        for hi in [1, 2, 5, 10, 20, 30, 40, 50, 75, 100] where hi <= rounds && hi > lo {
            let perRound = (lo..<hi).map { r in median(loops.map { $0.regret[r] }) }
            cumulative += perRound.reduce(0, +)
            print("| \(lo + 1)–\(hi) | \(f(perRound.reduce(0, +) / Double(perRound.count))) | \(f(cumulative, 2)) |")
            lo = hi
        }
        print("")
        print("Sends on the customer's truly best channel: \(f(median(loops.map(\.bestChannelShare)) * 100, 1)) %")
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("touchpoint-simulate: \(message)\n\(usage)\n".utf8))
        exit(2)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
}

extension SchedulerSettings {
    /// Sets the exploration strength when the scheduler has one (a no-op placeholder until it does).
    mutating func applyExploration(_ value: Double?) {}
}
