import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    /// The pipeline commits a batch while it reads and applies the next; the dispatcher records many
    /// outcomes per transaction. Neither may apply, send or record anything twice.
    @Suite("overlapping commits and grouped outcomes") struct Batching {
        @Test(
            "one-line batches with each event repeated in the very next batch: applied once, each message sent and recorded once"
        )
        func repeatsAcrossOverlappingCommits() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try EndToEnd.sandbox(peer: peer)
            defer { box.remove() }
            let t = wallNow().plus(ms: -1_000)
            let pings = 40
            var lines = [Line.identify("u1", index: 1, at: t)]
            for n in 1...pings {
                let line = Line.track("Chat Ping", user: "u1", id: "e\(n)", n: n, at: t.plus(ms: Int64(n)))
                // The copy lands in the next one-line batch, read while the first copy's commit may still run.
                lines += [line, line]
            }
            try box.append(lines)
            let daemon = try await box.startDaemon(arguments: ["--batch-lines", "1", "--concurrency", "8"])
                .running()
            defer { daemon.kill9() }
            let store = try box.openStore()
            let done = try await eventuallyAsync(within: 30) {
                try await store.status().outbox[.delivered] == pings
            }
            #expect(done, "log:\n\(daemon.logText())")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 20) == 0)

            let status = try await store.status()
            #expect(status.eventsApplied == 1 + pings, "each repeated event applied once")
            #expect(status.outbox[.delivered] == pings)
            let ids = EndToEnd.webhookIds(peer)
            #expect(ids.count == pings && Set(ids).count == pings, "each message sent once")
            for n in 1...pings {
                let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e\(n)")
                let attempts = try await store.attempts(messageId: id)
                #expect(attempts.map(\.outcome) == ["delivered"], "\(id)")
            }
        }
    }
}
