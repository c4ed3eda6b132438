import Daemon
import Engine
import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Issue 11 and issue 12 item 3, through the real binary: the daemon's sequencer holds what a late event
    /// could change, decides at once what nothing can, and never lets a date beyond the wall clock move it.
    @Suite("lateness, prompt messages and the wall clock") struct Lateness {
        static let rules = """
            rules:
              - name: cart-abandoned
                when: { event: Product Added }
                wait: 1h
                unless: [Order Completed]
                send: { template: ping, channels: [email] }
              - name: thank-you
                when: { event: Order Completed }
                send: { template: ping, channels: [email] }
                transactional: true

            """

        static func sandbox(lateness: String, extra: String = "") throws -> Sandbox {
            try Sandbox(
                channels: """
                      email: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                    """, rules: rules, extraConfig: extra, lateness: lateness)
        }

        /// `touchpoint dry-run --format json --show-suppressed` on the sandbox's events file, parsed.
        static func dryRun(_ box: Sandbox, file: String = "a.jsonl") throws -> [[String: Any]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
            p.arguments = [
                "dry-run", "--config", box.config.path, "--show-suppressed", "--format", "json",
                box.events.appendingPathComponent(file).path,
            ]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        @Test(
            "a later-dated event of another customer, read in the next batch, no longer fires what a late order cancels"
        )
        func lateOrderStillCancelsAcrossBatches() async throws {
            let box = try Self.sandbox(lateness: "20s")
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let now = wallNow()
            // The reminder is due 5 s before now; the watermark (now - 20 s) has not reached it.
            try box.append([
                Line.identify("u1", index: 1, at: now.plus(ms: -62 * 60_000)),
                Line.track("Product Added", user: "u1", id: "cart-1", n: 1, at: now.plus(ms: -3_605_000)),
            ])
            let store = try box.openStore()
            #expect(try await eventuallyAsync(within: 20) { try await store.status().eventsApplied == 2 })
            // The next batch: another customer dated now (it used to fire every timer due before it), then the
            // order, dated 10 s before that line and 5 s before the reminder's due time.
            try box.append([
                Line.identify("u2", index: 2, at: now),
                Line.track("Order Completed", user: "u1", id: "order-1", n: 2, at: now.plus(ms: -10_000)),
            ])
            let reminder = Line.messageId(rule: "cart-abandoned", user: "u1", trigger: "cart-1")
            let receipt = Line.messageId(rule: "thank-you", user: "u1", trigger: "order-1")
            #expect(
                try await eventuallyAsync(within: 60) { try await store.status().dropped == 1 },
                "log:\n\(daemon.logText())")
            #expect(try await store.outboxRow(messageId: reminder) == nil, "the reminder was not sent")
            #expect(try await store.outboxRow(messageId: receipt) != nil, "the order's receipt was")
            // The dry-run of the same lines decides the same.
            let dry = try Self.dryRun(box)
            let cart = dry.filter { $0["rule"] as? String == "cart-abandoned" }
            #expect(cart.count == 1 && cart.first?["reason"] as? String == "cancelled", "\(cart)")
            #expect(
                dry.contains { $0["message_id"] as? String == receipt && $0["decision"] as? String == "send" }
            )
        }

        @Test("an idle daemon with the default lateness sends a receipt at once, not five minutes later")
        func idleReceiptIsPrompt() async throws {
            let box = try Self.sandbox(lateness: "5m")
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let now = wallNow()
            try box.append([
                Line.identify("u1", index: 1, at: now.plus(ms: -1_000)),
                Line.track("Order Completed", user: "u1", id: "order-1", n: 1, at: now),
            ])
            let receipt = Line.messageId(rule: "thank-you", user: "u1", trigger: "order-1")
            // Twenty seconds is far inside the five minutes the receipt used to wait.
            #expect(
                await eventually(within: 20) { box.fileOutboxNames().contains(receipt + ".eml") },
                "status:\n\((try? box.status()) ?? "")\nlog:\n\(daemon.logText())")
            let status = try box.status()
            #expect(
                status.contains("(2 event(s) waiting for it)"), "the events themselves still wait: \(status)")
            // They are applied once the watermark passes them; the receipt is not decided twice.
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 20) == 0)
            #expect(box.fileOutboxNames() == [receipt + ".eml"])
        }

        @Test(
            "an event dated an hour ahead is quarantined future-timestamp and fires no one's timers; within the skew it waits"
        )
        func futureTimestampIsQuarantined() async throws {
            let box = try Self.sandbox(lateness: "5m")
            defer { box.remove() }
            var daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let now = wallNow()
            // A cart reminder due in 30 minutes.
            try box.append([
                Line.identify("u1", index: 1, at: now.plus(ms: -2 * 3_600_000)),
                Line.track("Product Added", user: "u1", id: "cart-1", n: 1, at: now.plus(ms: -30 * 60_000)),
            ])
            let store = try box.openStore()
            #expect(try await eventuallyAsync(within: 20) { try await store.status().eventsApplied == 2 })
            try box.append([
                Line.track("Page Viewed", user: "mallory", id: "m-1", n: 2, at: now.plus(ms: 3_600_000)),
                Line.track(
                    "Page Viewed", user: "mallory", id: "m-2", n: 3,
                    at: Instant(milliseconds: 253_402_300_000_000)),
                Line.track("Page Viewed", user: "u2", id: "ok-1", n: 4, at: now.plus(ms: 2 * 60_000)),
            ])
            #expect(
                try await eventuallyAsync(within: 20) { try await store.status().quarantined == 2 },
                "log:\n\(daemon.logText())")
            let lines = try await store.quarantined(limit: 10)
            #expect(lines.allSatisfy { $0.reason.hasPrefix("future-timestamp") }, "\(lines.map(\.reason))")
            #expect(Set(lines.map(\.line)) == [3, 4])
            let reminder = Line.messageId(rule: "cart-abandoned", user: "u1", trigger: "cart-1")
            try await Task.sleep(nanoseconds: 1_000_000_000)
            #expect(
                try await store.outboxRow(messageId: reminder) == nil, "the reminder still waits for its time"
            )
            #expect(
                try box.status().contains("(1 event(s) waiting for it)"), "the line 2 minutes ahead is held")
            // Neither the engine's clock nor the sequencer's passed the wall clock, nor do they after a restart.
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 20) == 0)
            daemon = try await box.startDaemon().running()
            try await Task.sleep(nanoseconds: 1_000_000_000)
            let wall = wallNow()
            let stored = try await store.load()
            let engine = try Engine.decode(customers: [:], globals: stored.globals["engine"]).globals
            #expect((engine?.now ?? wall) <= wall)
            let sequencer = try #require(
                try await store.global("sequencer").map { try SequencerState.decode($0) })
            #expect(sequencer.clock <= wall.milliseconds)
            #expect(try await store.outboxRow(messageId: reminder) == nil)
            #expect(try await store.status().quarantined == 2, "not quarantined twice after the restart")
        }

        @Test("SIGTERM while the daemon is still starting (a large store loading) exits 0, as after start-up")
        func sigtermDuringStartUp() async throws {
            let box = try Self.sandbox(lateness: "0s")
            defer { box.remove() }
            let count = 20_000
            let t = wallNow().plus(ms: -60_000)
            try box.append((0..<count).map { Line.identify("c\($0)", index: $0, at: t) })
            var daemon = try await box.startDaemon().running()
            let store = try box.openStore()
            #expect(
                try await eventuallyAsync(within: 120) { try await store.status().eventsApplied == count })
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 30) == 0)

            daemon = try box.startDaemon()
            defer { daemon.kill9() }
            // As soon as the process traps SIGTERM (it ignores the default action), while it loads the store.
            let trapped = await eventually(within: 20) { Self.ignoresSIGTERM(daemon.pid) }
            #expect(trapped)
            daemon.signal(SIGTERM)
            let exit = await daemon.waitForExit(seconds: 30)
            #expect(exit == 0, "log:\n\(daemon.logText())")
            #expect(daemon.logText().contains("stopped during start-up"), "log:\n\(daemon.logText())")
        }

        /// Whether `/proc/PID/status` shows SIGTERM ignored or caught.
        static func ignoresSIGTERM(_ pid: Int32) -> Bool {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
                return false
            }
            for line in text.split(separator: "\n")
            where line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:") {
                if let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16), mask & (1 << 14) != 0
                {
                    return true
                }
            }
            return false
        }
    }
}
