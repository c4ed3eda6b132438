import Foundation
import Store
import Testing
import TouchpointCore

/// `touchpoint report` and the holdout in `dry-run`, as the binary prints them.
@Suite("touchpoint report")
struct ReportCommandTests {
    static func run(_ arguments: [String]) throws -> (output: String, status: Int32) {
        try PlanCommandTests.Repo.run(try Paths.requireBinary(), arguments, in: Paths.packageRoot)
    }

    @Test(
        "the example story with a 50 % holdout: dry-run shows the held-out messages, report measures the goal"
    )
    func exampleStory() throws {
        let dry = try Self.run([
            "dry-run", "--config", "examples/holdout.yaml", "--show-suppressed", "--format", "json",
            "examples/events.jsonl",
        ])
        let held = dry.output.split(separator: "\n").filter { $0.contains(#""reason":"holdout""#) }
        #expect(!held.isEmpty)
        #expect(
            held.allSatisfy {
                !$0.contains(#""rule":"thank-you""#) && !$0.contains(#""rule":"payment-failed""#)
            })
        #expect(dry.output.contains("held back (") && dry.output.contains("holdout "))

        let table = try Self.run([
            "report", "--config", "examples/holdout.yaml", "--format", "table", "examples/events.jsonl",
        ])
        #expect(table.status == 0, "\(table.output)")
        #expect(table.output.contains("goal Order Completed within 7d, same cart_id"), "\(table.output)")
        #expect(table.output.contains("(Newcombe hybrid score)"))

        let html = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tp-report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: html) }
        let json = try Self.run([
            "report", "--config", "examples/holdout.yaml", "--format", "json", "--html", html.path,
            "examples/events.jsonl",
        ])
        let rows = json.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let cart = try #require(rows.first { $0["rule"] as? String == "cart-abandoned" })
        #expect(cart["interval_method"] as? String == "newcombe-hybrid-score-95")
        #expect((cart["uplift_interval"] as? [Double])?.count == 2)
        let thanks = try #require(rows.first { $0["rule"] as? String == "thank-you" })
        #expect(thanks["held_out"] as? Int == 0)
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<section class=\"goals\" id=\"goals\">"))
        #expect(page.contains("aria-label=\"Conversion rate, receivers against holdout\""))

        // dry-run's preview carries the same section when a rule names a goal.
        let preview = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tp-dry-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: preview) }
        _ = try Self.run([
            "dry-run", "--config", "examples/holdout.yaml", "--html", preview.path, "examples/events.jsonl",
        ])
        #expect(
            try String(contentsOf: preview, encoding: .utf8).contains(
                "<section class=\"goals\" id=\"goals\">"))

        // The example config has no holdout: every message goes out, report says there is nothing to compare.
        let plain = try Self.run([
            "report", "--config", "examples/touchpoint.yaml", "--format", "table", "examples/events.jsonl",
        ])
        #expect(plain.output.contains("uplift    - (needs receivers and a holdout"), "\(plain.output)")
    }

    @Test("report --store counts a daemon's delivered messages and holdout drops against the events folder")
    func fromStore() async throws {
        let box = try Sandbox(
            channels: "  chat: { kind: file, path: outbox }",
            rules: """
                rules:
                  - name: nudge
                    when: { event: Chat Ping }
                    send: { template: ping, channels: [chat] }
                    goal: { event: Order Completed, within: 1d }

                """)
        defer { box.remove() }
        let store = try box.openStore()
        let t0: Int64 = 1_800_000_000_000
        var rows: [OutboxRow] = []
        for i in 0..<4 {
            rows.append(
                .pending(
                    messageId: "m\(i)", rule: "nudge", customer: "r\(i)", channel: "chat",
                    adapterKind: "file",
                    sendAt: Instant(milliseconds: t0), prepared: Data("x".utf8),
                    createdAt: Instant(milliseconds: t0)))
        }
        let drops = (0..<2).map {
            DroppedMessage(
                messageId: "h\($0)", rule: "nudge", customer: "h\($0)", reason: .holdout,
                at: Instant(milliseconds: t0))
        }
        try await store.commit(Batch(outbox: rows, dropped: drops))
        for row in try await store.claimDue(now: Instant(milliseconds: t0), limit: 10, leaseOwner: "t") {
            try await store.recordOutcome(
                messageId: row.messageId, outcome: .delivered(providerId: nil, answer: "ok"),
                at: Instant(milliseconds: t0))
        }
        let at = Line.time(Instant(milliseconds: t0 + 3_600_000))
        let late = Line.time(Instant(milliseconds: t0 + 2 * 86_400_000))
        try box.append([
            #"{"type":"track","event":"Order Completed","userId":"r0","timestamp":"\#(at)","properties":{"revenue":12.5}}"#,
            #"{"type":"track","event":"Order Completed","userId":"r1","timestamp":"\#(at)","properties":{"total":"7.5"}}"#,
            #"{"type":"track","event":"Order Completed","userId":"r2","timestamp":"\#(late)","properties":{}}"#,
            #"{"type":"track","event":"Order Completed","userId":"h0","timestamp":"\#(at)","properties":{}}"#,
            #"{"type":"track","event":"Message Opened","userId":"r3","timestamp":"\#(at)","properties":{"channel":"chat","message_id":"m3"}}"#,
        ])
        let r = try box.touchpoint(["report", "--store", box.store.path, "--format", "json"])
        #expect(r.status == 0, "\(r.output)")
        let row = try #require(
            r.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.first)
        #expect(row["sent"] as? Int == 4 && row["held_out"] as? Int == 2 && row["opened"] as? Int == 1)
        #expect(row["receivers"] as? Int == 4 && row["receiver_conversions"] as? Int == 2)
        #expect(row["holdout"] as? Int == 2 && row["holdout_conversions"] as? Int == 1)
        #expect(row["receiver_revenue"] as? Double == 20)
    }
}
