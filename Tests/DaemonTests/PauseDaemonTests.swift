import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    /// `touchpoint pause` / `resume` against a running `touchpoint run`.
    @Suite("touchpoint pause and resume") struct PauseDaemon {
        static func sandbox(maxLateness: String = "1h") throws -> Sandbox {
            try Sandbox(
                channels: """
                      chat: { kind: file, path: chat }
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """, extraConfig: "max-lateness: \(maxLateness)")
        }

        static func names(_ box: Sandbox, _ folder: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(
                atPath: box.root.appendingPathComponent(folder).path))
                ?? []).filter { !$0.hasPrefix(".") }
        }

        /// Polls the store until the row is in `state` (30 s at most).
        static func eventuallyState(_ box: Sandbox, _ id: String, _ state: OutboxState) async -> Bool {
            let end = Date().addingTimeInterval(30)
            while Date() < end {
                if let store = try? box.openStore(),
                    (try? await store.outboxRow(messageId: id))??.state == state
                {
                    return true
                }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
            return false
        }

        @Test("a paused rule sends nothing while other rules do; status shows it; resume sends what waited")
        func pauseThenResume() async throws {
            let box = try Self.sandbox()
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            var r = try box.touchpoint(["pause", "ping-sms"])
            #expect(r.status == 0 && r.output.contains("paused rule ping-sms"), "\(r.output)")
            r = try box.touchpoint(["pause", "ping-smss"])
            #expect(r.status == 1 && r.output.contains("did you mean 'ping-sms'?"), "\(r.output)")

            let t = wallNow().plus(ms: -500)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("SMS Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
                Line.track("Mail Ping", user: "u1", id: "e2", n: 2, at: t.plus(ms: 2)),
            ])
            let smsId = Line.messageId(rule: "ping-sms", user: "u1", trigger: "e1")
            let mailId = Line.messageId(rule: "ping-mail", user: "u1", trigger: "e2")
            // The mail was committed with the SMS, and claimed after it was: the SMS was left out of that claim.
            let mailed = await eventually(within: 30) {
                Self.names(box, "mail").contains(mailId + ".eml")
                    || Self.names(box, "mail").contains { $0.hasPrefix(mailId) }
            }
            #expect(mailed, "log:\n\(daemon.logText())")
            let row = try await box.openStore().outboxRow(messageId: smsId)
            #expect(row?.state == .pending, "\(String(describing: row))")
            #expect(!box.fileOutboxNames().contains { $0.hasPrefix(smsId) })
            let status = try box.status()
            #expect(status.contains("paused           ping-sms since "), "\(status)")
            #expect(status.contains("1 message(s) waiting"), "\(status)")

            r = try box.touchpoint(["resume", "ping-sms"])
            #expect(r.status == 0 && r.output.contains("resumed rule ping-sms"), "\(r.output)")
            let sent = await eventually(within: 30) { box.fileOutboxNames().contains { $0.hasPrefix(smsId) } }
            #expect(sent, "log:\n\(daemon.logText())")
            #expect(try box.status().contains("paused           none"))
            r = try box.touchpoint(["resume", "ping-sms"])
            #expect(r.status == 1 && r.output.contains("was not paused"))
        }

        @Test(
            "pause --all holds every rule; a message whose window ends while paused is dropped window-expired"
        )
        func pauseAllAndExpiry() async throws {
            let box = try Self.sandbox(maxLateness: "3s")
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            #expect(try box.touchpoint(["pause", "--all"]).output.contains("paused every rule"))
            let t = wallNow()
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            let chatId = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            let queued = await Self.eventuallyState(box, chatId, .pending)
            #expect(queued, "log:\n\(daemon.logText())")
            #expect(try box.status().contains("all rules (--all) since "))
            // Past the window (due + within 0 + max-lateness 3 s), then resumed.
            let expired = await eventually(within: 30) { wallNow().milliseconds > t.milliseconds + 4_000 }
            #expect(expired)
            #expect(try box.touchpoint(["resume", "--all"]).status == 0)
            let dropped = await Self.eventuallyState(box, chatId, .dropped)
            #expect(dropped, "log:\n\(daemon.logText())")
            #expect(try await box.openStore().outboxRow(messageId: chatId)?.reason == "window-expired")
            #expect(Self.names(box, "chat").isEmpty)
        }
    }
}
