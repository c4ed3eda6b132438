import Engine
import Foundation
import Testing
import TouchpointCore

private let goalRules = """
    rules:
      - name: cart
        when: { event: Product Added }
        send: { template: plain, channels: [email] }
        holdout: 50%
        goal: { event: Order Completed, within: 2d, same: [cart_id] }
    """

/// SplitMix64: a small seeded generator, so every seed's history is the same on every run (shared by the
/// engine tests that generate input).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("touchpoint report: goals against the holdout")
struct GoalReportTests {
    private func write(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tp-report-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Newcombe's hybrid score interval matches his published example (56/70 vs 48/80)")
    func newcombeExample() throws {
        let u = Uplift(receivers: (56, 70), holdout: (48, 80))
        let i = try #require(u.interval)
        #expect(abs(u.difference! - 0.2) < 1e-12)
        // Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10: 0.0524 to 0.3339.
        #expect(abs(i.lower - 0.0524) < 0.0005, "\(i)")
        #expect(abs(i.upper - 0.3339) < 0.0005, "\(i)")
        #expect(abs(Uplift.quantile(0.975) - 1.959964) < 1e-6)
    }

    @Test("sent, opened, clicked, conversions by group, same-correlation and revenue are counted")
    func counts() throws {
        let f = Fixture(rules: goalRules, config: "quiet-hours: none\nfrequency-cap: none\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let holdout = Holdout()
        let ids = (0..<40).map { "c\($0)" }
        let received = ids.filter { !holdout.holdsOut($0, share: 0.5) }
        let held = ids.filter { holdout.holdsOut($0, share: 0.5) }
        var lines: [String] = []
        for id in ids {
            lines.append(Line.identify(id, at: "2026-11-02T09:00:00Z", #"{"email":"\#(id)@example.com"}"#))
            lines.append(
                Line.track(
                    id, "Product Added", at: "2026-11-02T10:00:00Z", id: "t-\(id)", #"{"cart_id":"k-\#(id)"}"#
                ))
        }
        // Two receivers and one held-out customer order their cart; one receiver orders another cart.
        for id in received.prefix(2) + held.prefix(1) {
            lines.append(
                Line.track(
                    id, "Order Completed", at: "2026-11-03T10:00:00Z", #"{"cart_id":"k-\#(id)","revenue":20}"#
                ))
        }
        lines.append(
            Line.track(received[2], "Order Completed", at: "2026-11-03T10:00:00Z", #"{"cart_id":"other"}"#))
        // An order after the goal's 2 days does not count.
        lines.append(
            Line.track(
                received[3], "Order Completed", at: "2026-11-05T10:00:01Z",
                #"{"cart_id":"k-\#(received[3])"}"#))
        let (once, records) = try GoalReport.replay(
            project: f.project, files: [try write(lines)], keepRecords: true)
        let mid = try #require(records.first { $0.customer == received[0] && $0.decision == .send }).messageId
        let opens = [
            Line.track(
                received[0], "Message Opened", at: "2026-11-02T11:00:00Z",
                #"{"channel":"email","message_id":"\#(mid)"}"#),
            Line.track(
                received[0], "Message Clicked", at: "2026-11-02T11:01:00Z",
                #"{"channel":"email","message_id":"\#(mid)"}"#),
        ]
        _ = once
        let (report, _) = try GoalReport.replay(project: f.project, files: [try write(lines + opens)])
        let row = try #require(report.results().first)
        #expect(row.rule == "cart")
        #expect(row.sent == received.count)
        #expect(row.heldOut == held.count)
        #expect(row.opened == 1 && row.clicked == 1)
        #expect(row.receivers == received.count && row.holdoutCustomers == held.count)
        #expect(row.receiverConversions == 2 && row.holdoutConversions == 1)
        #expect(row.receiverRevenue == 40 && row.holdoutRevenue == 20)
        #expect(row.jsonLine.contains(#""interval_method":"newcombe-hybrid-score-95""#))
    }

    @Test("on histories with a known true uplift, the 95 % interval covers it in at least 93 of 100 seeds")
    func coverage() throws {
        let f = Fixture(rules: goalRules, config: "quiet-hours: none\nfrequency-cap: none\n")
        let holdout = Holdout()
        let base = 0.20
        let truth = 0.10
        var covered = 0
        for seed in 1...100 {
            var rng = SplitMix(state: UInt64(seed))
            var lines: [String] = []
            lines.reserveCapacity(600)
            for i in 0..<200 {
                let id = "s\(seed)-c\(i)"
                lines.append(Line.identify(id, at: "2026-11-02T09:00:00Z", #"{"email":"x@example.com"}"#))
                lines.append(
                    Line.track(
                        id, "Product Added", at: "2026-11-02T10:00:00Z", id: "t-\(id)", #"{"cart_id":"k"}"#))
                let p = holdout.holdsOut(id, share: 0.5) ? base : base + truth
                if Double.random(in: 0..<1, using: &rng) < p {
                    lines.append(
                        Line.track(
                            id, "Order Completed", at: "2026-11-03T10:00:00Z", #"{"cart_id":"k","total":9.5}"#
                        ))
                }
            }
            let path = try write(lines)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (report, _) = try GoalReport.replay(project: f.project, files: [path])
            let row = try #require(report.results().first)
            #expect(row.receivers + row.holdoutCustomers == 200)
            let i = try #require(row.uplift.interval)
            if i.lower <= truth, truth <= i.upper { covered += 1 }
        }
        print("coverage: \(covered) of 100")
        #expect(covered >= 93, "covered \(covered) of 100")
    }
}
