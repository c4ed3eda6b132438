import Events
import Foundation
import Scheduler
import TouchpointCore

/// `touchpoint-simulate`: the scheduler against a synthetic world with a known truth.
@main
struct Simulate {
    static let usage = """
        usage: touchpoint-simulate [--seed N] [--seeds K] [--customers N] [--weeks W[,W...]] [--rounds R]
                                   [--within 24h] [--quiet 21:00-08:00] [--exploration X] [--world mixed|peak|flat]
                                   [--attribute-sends] [--no-fit] [--set key=value]
        """

    static func main() {
        var seed: UInt64 = 1
        var seeds = 5
        var customers = 1000
        var weeks = [8, 16]
        var rounds = 30
        var within = TimeSpan.hours(24)
        var quiet = QuietHours(parsing: "21:00-08:00")!
        var world = Persona.World.mixed
        var attribute = false
        var fit = true
        var exploration: Double? = nil
        var overrides: [(String, String)] = []
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
            case "--quiet": quiet = QuietHours(parsing: value()) ?? { fail("bad --quiet") }()
            case "--exploration": exploration = Double(value()) ?? { fail("bad --exploration") }()
            case "--world": world = Persona.World(rawValue: value()) ?? { fail("bad --world") }()
            case "--attribute-sends": attribute = true
            case "--no-fit": fit = false
            case "--set":
                let kv = value().split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { fail("--set wants key=value") }
                overrides.append((kv[0], kv[1]))
            case "-h", "--help":
                print(usage)
                return
            default: fail("unknown argument \(arg)")
            }
        }
        var settings = SchedulerSettings(quietHours: quiet)
        settings.applyExploration(exploration)
        for (k, v) in overrides {
            guard settings.set(k, v) else { fail("cannot set \(k)=\(v)") }
        }
        let sim = Simulation(
            settings: settings, quiet: quiet, within: within, attributeSends: attribute, fitPriors: fit)
        let seedList = (0..<UInt64(max(seeds, 1))).map { seed &+ $0 }

        print("# touchpoint-simulate")
        print("")
        print(
            "\(customers) customers, seeds \(seedList.map(String.init).joined(separator: ",")) (medians), "
                + "window \(within), quiet hours \(quiet), world: "
                + world.description
                + (attribute ? ", population credited with send hours" : "")
                + (fit ? ", channel priors fitted (empirical Bayes)" : ", constant channel prior strength"))
        print("")
        print(
            "| history | chosen | oracle | chosen / oracle | first channel, right away | chosen / first "
                + "| oracle / first | population best hour | right channel | chosen / best on its channel "
                + "| violations | µs per decide | ns per event applied | engagement bytes (packed / JSON) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for w in weeks {
            let runs = seedList.map {
                sim.offline(seed: $0, customers: customers, weeks: w, world: world)
            }
            let chosen = median(runs.map(\.chosen))
            let oracle = median(runs.map(\.oracle))
            let first = median(runs.map(\.firstNow))
            print(
                "| \(w) weeks | \(f(chosen)) | \(f(oracle)) | \(f(median(runs.map { $0.chosen / $0.oracle }))) "
                    + "| \(f(first)) | \(f(median(runs.map { $0.chosen / $0.firstNow }), 2))× "
                    + "| \(f(median(runs.map { $0.oracle / $0.firstNow }), 2))× "
                    + "| \(f(median(runs.map(\.populationBest)))) "
                    + "| \(f(median(runs.map(\.rightChannel)) * 100, 0)) % "
                    + "| \(f(median(runs.map { $0.chosen / $0.chosenChannelBest }))) "
                    + "| \(runs.map(\.violations).reduce(0, +)) "
                    + "| \(f(median(runs.map(\.microseconds)), 1)) | \(f(median(runs.map(\.nanosPerEvent)), 0)) "
                    + "| \(f(median(runs.map(\.stateBytes)), 0)) / "
                    + "\(f(median(runs.map(\.encodedBytes)), 0)) |"
            )
        }
        guard rounds > 0 else { return }
        print("")
        print("Closed loop: no message history (4 weeks of activity only), \(rounds) rounds two days apart.")
        print("")
        let loops = seedList.map {
            sim.closedLoop(seed: $0, customers: customers, rounds: rounds, world: world)
        }
        print("| rounds | mean regret per round | cumulative regret (end of span) |")
        print("|---|---|---|")
        var lo = 0
        var cumulative = 0.0
        for hi in [1, 2, 5, 10, 20, 30, 40, 50, 75, 100] where hi <= rounds && hi > lo {
            let perRound = (lo..<hi).map { r in median(loops.map { $0.regret[r] }) }
            cumulative += perRound.reduce(0, +)
            print(
                "| \(lo + 1)–\(hi) | \(f(perRound.reduce(0, +) / Double(perRound.count))) | \(f(cumulative, 2)) |"
            )
            lo = hi
        }
        print("")
        print(
            "Sends on the customer's truly best channel: \(f(median(loops.map(\.bestChannelShare)) * 100, 1)) %"
        )
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

extension Persona.World: CustomStringConvertible {
    var description: String {
        switch self {
        case .mixed: "mixed (50 % one peak ± 2 h, 30 % bimodal, 20 % flat)"
        case .peak: "peak (everyone one peak ± 2 h)"
        case .flat: "flat (the hour never matters)"
        }
    }
}

extension SchedulerSettings {
    /// Sets the exploration strength when given.
    mutating func applyExploration(_ value: Double?) {
        if let value { exploration = value }
    }

    /// Sets one model knob by name, for experiments; `false` when the key or value is not understood.
    mutating func set(_ key: String, _ value: String) -> Bool {
        switch key {
        case "halfLife":
            guard let v = TimeSpan(parsing: value) else { return false }
            halfLife = v
        case "urgencyHalfLife":
            guard let v = TimeSpan(parsing: value) else { return false }
            urgencyHalfLife = v
        case "urgencyEvidence":
            guard let v = Double(value) else { return false }
            urgencyEvidence = v
        case "channelPriorStrength":
            guard let v = Double(value) else { return false }
            channelPriorStrength = v
        case "timingPriorStrength":
            guard let v = Double(value) else { return false }
            timingPriorStrength = v
        case "exploration":
            guard let v = Double(value) else { return false }
            exploration = v
        case "delayMargin":
            guard let v = Double(value) else { return false }
            delayMargin = v
        default: return false
        }
        return true
    }
}
