import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    @Suite("a peer that hangs") struct HangingPeer {
        @Test(
            "with the chat peer hanging on more sends than the daemon's concurrency, sms messages keep flowing"
        )
        func otherChannelsKeepFlowing() async throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-hang-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let peer = try Peer("http_peer.py", record: scratch)
            defer { peer.stop() }
            // A transfer timeout far beyond the test's wait: a flowing sms channel cannot be explained by
            // the hung chat sends timing out and freeing their slots.
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)/hang", timeout: 300s }
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """)
            defer { box.remove() }
            let daemon = try await box.startDaemon(arguments: ["--concurrency", "4"]).running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -5_000)
            var lines: [String] = []
            for i in 0..<10 {
                lines.append(Line.identify("u\(i)", index: i, at: t))
                lines.append(Line.track("Chat Ping", user: "u\(i)", id: "c\(i)", n: i, at: t.plus(ms: 1)))
            }
            try box.append(lines)
            // The chat sends are stuck in the peer before any sms is due.
            #expect(await eventually(within: 20) { peer.lines().count >= 3 }, "log:\n\(daemon.logText())")
            var sms: [String] = []
            for i in 0..<10 {
                sms.append(Line.track("SMS Ping", user: "u\(i)", id: "s\(i)", n: 100 + i, at: t.plus(ms: 2)))
            }
            try box.append(sms)
            let flowed = await eventually(within: 30) { box.fileOutboxNames().count == 10 }
            #expect(flowed, "sms files: \(box.fileOutboxNames().count); log:\n\(daemon.logText())")
            let status = try await box.openStore().status()
            #expect(status.outbox[.delivered] == 10)
            #expect((status.outbox[.sending] ?? 0) >= 1, "chat sends are still hanging")
        }
    }
}
