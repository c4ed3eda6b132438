import Foundation
import Scheduler
import TouchpointCore

/// `touchpoint-simulate`: the scheduler against synthetic worlds with a known truth, beside two baselines and
/// the Bayes ceiling.
@main
struct Simulate {
    static let usage = """
        usage: touchpoint-simulate [--worlds a,b,c,d-sparse,d-rich,e,f] [--seed N] [--seeds K] [--customers N]
                                   [--weeks W[,W...]] [--loop-weeks W] [--exploration X] [--set key=value]
        """

    static func main() {
        var seed: UInt64 = 1
        var seeds = 5
        var customers = 1000
        var weeks = [8, 16]
        var loopWeeks = 12
        var worlds = WorldSpec.allCases
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
            case "--loop-weeks": loopWeeks = Int(value()) ?? { fail("bad --loop-weeks") }()
            case "--worlds":
                worlds = value().split(separator: ",").map { name in
                    WorldSpec(rawValue: String(name)) ?? { fail("unknown world \(name)") }()
                }
            case "--exploration": overrides.append(("exploration", value()))
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
        let quiet = QuietHours(parsing: "21:00-08:00")!
        var settings = SchedulerSettings(quietHours: quiet)
        for (k, v) in overrides {
            guard settings.set(k, v) else { fail("cannot set \(k)=\(v)") }
        }
        let sim = Simulation(settings: settings, quiet: quiet, within: .hours(24), customers: customers)
        let seedList = (0..<UInt64(max(seeds, 1))).map { seed &+ $0 }

        print(
            "\(customers) customers per world, seeds \(seedList.map(String.init).joined(separator: ",")) "
                + "(medians over seeds), window 24h, quiet hours \(quiet), candidates email, sms, chat"
                + (overrides.isEmpty ? "" : "; " + overrides.map { "\($0)=\($1)" }.joined(separator: ", ")))
        print("")
        let offline = worlds.filter { $0 != .f }
        if !offline.isEmpty {
            print(
                "| world | history | sends | oracle | email now | naive | ceiling | Touchpoint "
                    + "| ÷ ceiling | ÷ naive | explored | violations | µs per decision | state bytes |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        }
        for world in offline {
            for w in weeks {
                let runs = seedList.map { sim.offline(world, seed: $0, weeks: w) }
                func share(_ k: KeyPath<Figures, Double>) -> String {
                    f(median(runs.map { $0[keyPath: k] / $0.oracle }))
                }
                let n = { (r: Figures) in Double(max(r.decisions, 1)) }
                print(
                    "| \(world.rawValue) | \(w) weeks | \(f(median(runs.map { $0.sends / Double(customers) }), 1)) "
                        + "| \(f(median(runs.map { $0.oracle / n($0) }))) "
                        + "| \(share(\.emailNow)) | \(share(\.naive)) | \(share(\.ceiling)) | **\(share(\.ours))** "
                        + "| \(f(median(runs.map { $0.ours / $0.ceiling }))) "
                        + "| \(f(median(runs.map { $0.ours / $0.naive }), 2))× "
                        + "| \(f(median(runs.map { Double($0.explored) / n($0) }) * 100, 1)) % "
                        + "| \(runs.map(\.violations).reduce(0, +)) "
                        + "| \(f(median(runs.map(\.microseconds)), 1)) "
                        + "| \(f(median(runs.map { $0.stateBytes / n($0) }), 0)) |"
                        + (ProcessInfo.processInfo.environment["SIM_DIAG"] != nil
                            ? " channel: \(share(\.oursChannelBest)) vs \(share(\.ceilingChannelBest)); hour: "
                                + "\(f(median(runs.map { $0.ours / $0.oursChannelBest }))) vs \(f(median(runs.map { $0.ceiling / $0.ceilingChannelBest })))"
                                + "; by opens (share of decisions, ÷ ceiling, ceiling's loss per decision): "
                                + (0..<4).map { b in
                                    let count = runs.map { $0.bucketCount[b] }.reduce(0, +)
                                    let ours = runs.map { $0.bucketOurs[b] }.reduce(0, +)
                                    let ceiling = runs.map { $0.bucketCeiling[b] }.reduce(0, +)
                                    let all = runs.map(\.decisions).reduce(0, +)
                                    return
                                        "\(b)\(b == 3 ? "+" : ""): \(f(Double(count) / Double(max(all, 1)), 2)) "
                                        + "\(f(ours / max(ceiling, 1e-9))) \(f((ceiling - ours) / Double(max(all, 1)), 4))"
                                }.joined(separator: ", ")
                            : ""))
            }
        }
        if worlds.contains(.f) {
            print("")
            print(
                "World (f): closed loop, \(loopWeeks) weeks, a message every other day; mean regret per round."
            )
            print("")
            let policies = Simulation.Policy.allCases
            var loops: [Simulation.Policy: [(regret: [Double], explored: Double)]] = [:]
            for p in policies {
                loops[p] = seedList.map { sim.closedLoop(seed: $0, weeks: loopWeeks, policy: p) }
            }
            print("| rounds | " + policies.map(\.rawValue).joined(separator: " | ") + " |")
            print("|---" + String(repeating: "|---", count: policies.count) + "|")
            let rounds = loopWeeks * 7 / 2
            var lo = 0
            var cumulative = [Double](repeating: 0, count: policies.count)
            for hi in [1, 5, 10, 20, 30, 42, 60, 84] where hi <= rounds && hi > lo {
                var cells: [String] = []
                for (k, p) in policies.enumerated() {
                    let perRound = (lo..<hi).map { r in median(loops[p]!.map { $0.regret[r] }) }
                    cumulative[k] += perRound.reduce(0, +)
                    cells.append(f(perRound.reduce(0, +) / Double(perRound.count)))
                }
                print("| \(lo + 1)–\(hi) | " + cells.joined(separator: " | ") + " |")
                lo = hi
            }
            print("| cumulative | " + cumulative.map { f($0, 2) }.joined(separator: " | ") + " |")
            print("")
            print(
                "Touchpoint explored in \(f(median(loops[.ours]!.map(\.explored)) * 100, 1)) % of closed-loop decisions."
            )
        }
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
    /// Sets one model knob by name, for experiments; `false` when the key or value is not understood.
    mutating func set(_ key: String, _ value: String) -> Bool {
        if key == "halfLife" {
            guard let v = TimeSpan(parsing: value) else { return false }
            halfLife = v
            return true
        }
        let keys: [String: WritableKeyPath<SchedulerSettings, Double>] = [
            "channelPriorStrength": \.channelPriorStrength, "timingPriorStrength": \.timingPriorStrength,
            "channelCurveStrength": \.channelCurveStrength,
            "populationTimingStrength": \.populationTimingStrength,
            "timingBandwidth": \.timingBandwidth, "exposureWidening": \.exposureWidening,
            "presenceEvidence": \.presenceEvidence,
            "presenceFlatStrength": \.presenceFlatStrength, "hourTolerance": \.hourTolerance,
            "channelTolerance": \.channelTolerance,
            "toleranceEvidence": \.toleranceEvidence, "channelCurveBandwidth": \.channelCurveBandwidth,
            "responseBandwidth": \.responseBandwidth,
            "populationToleranceEvidence": \.populationToleranceEvidence, "shapeEvidence": \.shapeEvidence,
            "missEvidence": \.missEvidence,
            "lateReadEvidence": \.lateReadEvidence,
            "exploration": \.exploration,
        ]
        guard let path = keys[key], let v = Double(value) else { return false }
        self[keyPath: path] = v
        return true
    }
}
