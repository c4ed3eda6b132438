import Engine
import Foundation
import Testing
import TouchpointCore

/// `dry-run --threads N` (issue 17, target 4): customers spread over worker threads give the same output, byte
/// for byte, as one thread, for any number of threads.
@Suite struct PartitionedReplayTests {
    /// Twelve days of 240 shoppers: profiles, views, carts, checkouts, orders and opens, with duplicate
    /// `messageId`s and lines that arrive later than the lateness window.
    static func events() -> [String] {
        var rng = SplitMix(state: 17)
        let zones = [
            ("Asia/Shanghai", "zh-CN"), ("Europe/London", "en-GB"), ("America/New_York", "en-US"),
            ("Asia/Singapore", "en-SG"),
        ]
        var lines: [String] = []
        var t: Int64 = 1_772_409_600  // 2026-03-02T00:00:00Z
        func stamp(_ s: Int64) -> String { Timestamp(instant: Instant(seconds: s), offsetSeconds: 0).text }
        var id = 0
        func next() -> String {
            id += 1
            return "m-\(id)"
        }
        for c in 0..<240 {
            let (zone, locale) = zones[c % zones.count]
            let phone = c % 3 == 0 ? "" : ",\"phone\":\"+86137\(10_000_000 + c)\""
            lines.append(
                "{\"type\":\"identify\",\"userId\":\"c\(c)\",\"messageId\":\"\(next())\",\"timestamp\":\"\(stamp(t))\","
                    + "\"traits\":{\"email\":\"c\(c)@example.test\"\(phone),\"timezone\":\"\(zone)\",\"locale\":\"\(locale)\","
                    + "\"firstName\":\"C\(c)\"}}")
        }
        let names = [
            "Product Viewed", "Product Viewed", "Product Added", "Checkout Started", "Order Completed",
            "Message Opened",
        ]
        for n in 0..<6000 {
            t += Int64.random(in: 1...170, using: &rng)
            let c = Int.random(in: 0..<240, using: &rng)
            let name = names[Int.random(in: 0..<names.count, using: &rng)]
            let props: String
            switch name {
            case "Order Completed":
                props =
                    "{\"order_id\":\"o-\(n)\",\"cart_id\":\"k-\(c)\",\"total\":\(n % 500 + 10).5,\"currency\":\"CNY\"}"
            case "Message Opened":
                props = "{\"channel\":\"\(n % 2 == 0 ? "email" : "sms")\",\"message_id\":\"x-\(n)\"}"
            default:
                props =
                    "{\"product_id\":\"p-\(n % 97)\",\"name\":\"Item \(n % 97)\",\"url\":\"https://shop.example/p/\(n % 97)\","
                    + "\"cart_id\":\"k-\(c)\",\"checkout_id\":\"h-\(c)\",\"price\":\(n % 90 + 1).0}"
            }
            // Every 97th line arrives 20 minutes late (the examples' window is 5 minutes).
            let at = n % 97 == 0 ? t - 1200 : t
            let mid = n % 89 == 0 ? "m-\(id)" : next()  // every 89th repeats the previous line's id
            lines.append(
                "{\"type\":\"track\",\"event\":\"\(name)\",\"userId\":\"c\(c)\",\"messageId\":\"\(mid)\","
                    + "\"timestamp\":\"\(stamp(at))\",\"properties\":\(props)}")
        }
        return lines
    }

    struct Run: Equatable {
        var output: [UInt8]
        var summary: String
    }

    static func summary(_ o: ReplayOutcome) -> String {
        let s = o.stats
        return
            "\(o.linesRead) \(s.eventsApplied) \(s.duplicates) \(o.lateCount) \(o.maxLateMilliseconds) \(s.triggers) "
            + "\(s.sent) \(s.suppressed.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }) "
            + "\(o.trace.count)"
    }

    static func replay(threads: Int?, path: String, project: Project, explain: String) throws -> Run {
        var settings = project.engineSettings(explain: explain)
        settings.keepsExplanations = false
        let engine = Engine(book: project.book, templates: project.templates, settings: settings)
        var out: [UInt8] = []
        let emit: (MessageRecord) -> Void = {
            $0.writeJSONLine(into: &out)
            out.append(UInt8(ascii: "\n"))
        }
        let outcome: ReplayOutcome
        if let threads {
            var replay = PartitionedReplay(
                engine: engine, lateness: project.config.lateness, threads: threads)
            try replay.read(file: path, emit: emit, reject: { _ in })
            outcome = replay.finish(until: nil, emit: emit)
        } else {
            var replay = Replay(engine: engine, lateness: project.config.lateness)
            try replay.read(file: path, emit: emit, reject: { _ in })
            replay.finish(until: nil, emit: emit)
            outcome = replay.outcome
        }
        return Run(output: out, summary: summary(outcome) + "\n" + outcome.trace.joined(separator: "\n"))
    }

    @Test func sameBytesForAnyNumberOfThreads() throws {
        let project = Project.load(
            configPath: CheckTests.root + "/examples/touchpoint.yaml", environment: [:])
        #expect(project.diagnostics.filter { $0.severity == .error }.isEmpty)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("touchpoint-partitioned-\(UUID().uuidString).jsonl").path
        try (Self.events().joined(separator: "\n") + "\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let one = try Self.replay(threads: nil, path: path, project: project, explain: "c7")
        let text = String(decoding: one.output, as: UTF8.self)
        let lines = text.split(separator: "\n")
        // Enough happens for the comparison to mean something: sends, holds, late lines and duplicates.
        #expect(lines.count > 500)
        #expect(lines.contains { $0.hasPrefix("{\"decision\":\"send\"") })
        #expect(lines.contains { $0.contains("\"reason\":\"cancelled\"") })
        #expect(one.summary.split(separator: " ")[2] != "0")  // duplicates
        #expect(one.summary.split(separator: " ")[3] != "0")  // late lines
        #expect(one.summary.split(separator: "\n").count > 10)  // c7's timeline

        for threads in [1, 2, 3, 4] {
            let many = try Self.replay(threads: threads, path: path, project: project, explain: "c7")
            #expect(many.summary == one.summary, "threads \(threads)")
            #expect(many.output == one.output, "threads \(threads): the output differs")
        }
    }
}
