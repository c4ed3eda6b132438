import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    @Suite("fallback: a permanent failure comes back as an event") struct FallbackFeedback {
        @Test(
            "a chat send the peer refuses for good (400) is recorded as Message Failed, and the text follow-up goes at once"
        )
        func refusedThenFallback() async throws {
            let record = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-fallback-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: record) }
            let peer = try Peer("http_peer.py", record: record)
            defer { peer.stop() }
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)/status/400" }
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """,
                rules: """
                    rules:
                      - name: nudge
                        when: { event: Nudge }
                        send: { template: ping, channels: [chat, sms], fallback: { after: 1d } }

                    """,
                extraConfig: "exploration: 0")
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -2_000)
            try box.append([
                Line.identify("u1", index: 1, at: t), Line.track("Nudge", user: "u1", id: "n1", n: 7, at: t),
            ])
            let followed = await eventually(within: 30) { box.fileOutboxNames().count == 1 }
            #expect(followed, "outbox: \(box.fileOutboxNames()); log:\n\(daemon.logText())")
            #expect(peer.lines().count == 1)
            let first = Line.messageId(rule: "nudge", user: "u1", trigger: "n1")
            let events = try FileManager.default.contentsOfDirectory(atPath: box.events.path)
                .filter { $0.hasPrefix("http-") }
                .map { try String(contentsOf: box.events.appendingPathComponent($0), encoding: .utf8) }
                .joined()
            #expect(events.contains(#""event":"Message Failed""#), "\(events)")
            #expect(events.contains(first), "\(events)")
            // The file is written a moment before its outcome is committed.
            var status = try await box.openStore().status()
            for _ in 0..<100 where status.outbox[.delivered] != 1 {
                try await Task.sleep(nanoseconds: 100_000_000)
                status = try await box.openStore().status()
            }
            #expect(status.outbox[.dead] == 1)
            #expect(status.outbox[.delivered] == 1)
            let fallback = try await box.openStore().outboxRow(messageId: StableID.fallback(of: first))
            #expect(fallback?.channel == "sms")
        }
    }
}
