import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Issue 12, "nothing lost, nothing doubled", through the real binary, real files and real peers.
    @Suite("operator faults and broken peers, through touchpoint run") struct Faults {
        static func peerSandbox(
            _ script: String = "http_peer.py", path: String = "/ok/hook", extra: String = "",
            config: String = ""
        )
            throws -> (Peer, Sandbox, Sandbox)
        {
            let scratch = try Sandbox(channels: "")
            let peer = try Peer(script, record: scratch.root.appendingPathComponent("peer.jsonl"))
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)\(path)", secret: "whsec_dGVzdHNlY3JldA==" \(extra)}
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """, extraConfig: config)
            return (peer, box, scratch)
        }

        static func applied(_ box: Sandbox) async throws -> Int {
            try await box.openStore().status().eventsApplied
        }

        @Test("#8: a second daemon on the same store is refused, naming the first; the first runs on")
        func secondDaemonRefused() async throws {
            let (peer, box, scratch) = try Self.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let first = try await box.startDaemon().running()
            defer { first.kill9() }
            let second = try box.startDaemon(log: "second.log")
            #expect(await second.waitForExit(seconds: 30) == 1)
            let log = second.logText()
            #expect(log.contains("is in use by another touchpoint run, pid \(first.pid)"), "\(log)")
            #expect(log.contains("lease owner touchpoint-\(first.pid)"), "\(log)")
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(
                await eventually(within: 20) { EndToEnd.webhookIds(peer).count == 1 },
                "log:\n\(first.logText())")
            #expect(try await Self.applied(box) == 2)
        }

        @Test(
            "#9: a store deleted while running stops the daemon; a restart on the new store is refused until --new-store, which re-sends nothing"
        )
        func storeDeleted() async throws {
            let (peer, box, scratch) = try Self.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            #expect(await eventually(within: 20) { EndToEnd.webhookIds(peer).count == 1 })
            let marker = try String(
                contentsOf: box.events.appendingPathComponent(".touchpoint-store"), encoding: .utf8)
            #expect(marker.hasPrefix("store \(box.store.path) since "), "\(marker)")
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: box.store.path + suffix)
            }
            try box.append([Line.track("Chat Ping", user: "u1", id: "e2", n: 2, at: wallNow())])
            let status = await daemon.waitForExit(seconds: 30)
            #expect(status != nil && status != 0, "log:\n\(daemon.logText())")
            #expect(
                daemon.logText().contains("was deleted while the daemon was using it"), "\(daemon.logText())")

            try? FileManager.default.removeItem(atPath: box.store.path)
            let refused = try box.startDaemon(log: "refused.log")
            #expect(await refused.waitForExit(seconds: 30) == 1)
            #expect(refused.logText().contains("is new, but the events folder"), "\(refused.logText())")
            #expect(
                refused.logText().contains("was read before (store \(box.store.path) since"),
                "\(refused.logText())")
            #expect(refused.logText().contains("--new-store"))

            let fresh = try await box.startDaemon(arguments: ["--new-store"], log: "fresh.log").running()
            defer { fresh.kill9() }
            try box.append([
                Line.identify("u2", index: 2, at: wallNow()),
                Line.track("Chat Ping", user: "u2", id: "e3", n: 3, at: wallNow()),
            ])
            let e3 = Line.messageId(rule: "ping-chat", user: "u2", trigger: "e3")
            #expect(
                await eventually(within: 20) { EndToEnd.webhookIds(peer).contains(e3) },
                "log:\n\(fresh.logText())")
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(EndToEnd.webhookIds(peer).count == 2, "only the new event's message, nothing re-sent")
            #expect(try await Self.applied(box) == 2)
        }

        @Test(
            "#10–11: rotation to another *.jsonl name and a truncate-and-rewrite neither lose nor double a line"
        )
        func rotationAndRewrite() async throws {
            let (peer, box, scratch) = try Self.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            // Identify lines have no messageId: applied twice they would be counted twice.
            try box.append((1...3).map { Line.identify("u\($0)", index: $0, at: wallNow()) })
            #expect(try await eventuallyAsync(within: 20) { (try? await Self.applied(box)) == 3 })
            let a = box.events.appendingPathComponent("a.jsonl")
            #expect(rename(a.path, box.events.appendingPathComponent("a-2026-12-02.jsonl").path) == 0)
            try box.append([Line.identify("u4", index: 4, at: wallNow())], to: "a-2026-12-02.jsonl")
            try box.append([Line.identify("u5", index: 5, at: wallNow())])
            #expect(
                try await eventuallyAsync(within: 20) { (try? await Self.applied(box)) == 5 },
                "log:\n\(daemon.logText())")
            // Rewritten in place (same inode) with more bytes than the stored offset.
            let handle = try FileHandle(forWritingTo: a)
            try handle.truncate(atOffset: 0)
            handle.write(
                Data(
                    (6...9).map { Line.identify("user-number-\($0)", index: $0, at: wallNow()) + "\n" }
                        .joined().utf8))
            try handle.close()
            #expect(
                try await eventuallyAsync(within: 20) { (try? await Self.applied(box)) == 9 },
                "log:\n\(daemon.logText())")
            try await Task.sleep(nanoseconds: 500_000_000)
            let status = try await box.openStore().status()
            #expect(status.eventsApplied == 9)
            #expect(status.quarantined == 0, "no fragment quarantined")
            #expect(status.customers == 9)
        }

        @Test(
            "#12: after a 429 with a Retry-After past the message's window, it is dropped window-expired, not sent late"
        )
        func windowCheckedAtEveryClaim() async throws {
            let (peer, box, scratch) = try Self.peerSandbox(
                path: "/status/429?retry_after=6", config: "max-lateness: 3s")
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            #expect(
                try await eventuallyAsync(within: 30) {
                    (try? await box.openStore().outboxRow(messageId: id))?.state == .dropped
                },
                "log:\n\(daemon.logText())")
            let row = try #require(try await box.openStore().outboxRow(messageId: id))
            #expect(row.reason == "window-expired")
            #expect(peer.lines().count == 1, "the one attempt inside the window, none after")
        }

        @Test(
            "#12: a message whose window passes while the daemon is down is dropped at the restart, not sent")
        func windowCheckedAfterRestart() async throws {
            let (peer, box, scratch) = try Self.peerSandbox(path: "/status/503", config: "max-lateness: 3s")
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            var daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(await eventually(within: 20) { peer.lines().count >= 1 })
            daemon.kill9()
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            let expires = try #require(try await box.openStore().outboxRow(messageId: id)?.expiresAt)
            while wallNow() <= expires.plus(ms: 200) { try await Task.sleep(nanoseconds: 100_000_000) }
            let sent = peer.lines().count
            daemon = try await box.startDaemon(log: "restart.log").running()
            #expect(
                try await eventuallyAsync(within: 20) {
                    (try? await box.openStore().outboxRow(messageId: id))?.state == .dropped
                },
                "log:\n\(daemon.logText())")
            #expect(peer.lines().count == sent, "nothing sent after the restart")
        }

        @Test(
            "#13: a peer that answers 200 and closes early gets one copy, delivered; a garbage answer is retried, not dead at once"
        )
        func brokenPeerAnswers() async throws {
            let (peer, box, scratch) = try Self.peerSandbox("raw_http_peer.py", path: "/ok-close")
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon(arguments: ["--max-attempts", "5"]).running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            #expect(
                try await eventuallyAsync(within: 20) {
                    (try? await box.openStore().outboxRow(messageId: id))?.state == .delivered
                },
                "log:\n\(daemon.logText())")
            try await Task.sleep(nanoseconds: 1_000_000_000)
            #expect(peer.lines().count == 1)

            let (garbage, box2, scratch2) = try Self.peerSandbox("raw_http_peer.py", path: "/garbage")
            defer {
                garbage.stop()
                box2.remove()
                scratch2.remove()
            }
            let other = try await box2.startDaemon(arguments: ["--max-attempts", "5"]).running()
            defer { other.kill9() }
            try box2.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(
                await eventually(within: 20) { garbage.lines().count >= 2 }, "retried:\n\(other.logText())")
            #expect(
                try await box2.openStore().outboxRow(messageId: id)?.state != .dead
                    || garbage.lines().count == 5)
        }

        @Test(
            "#14: SIGTERM with a send hanging on the peer cuts it at the shutdown bound and records it by the usual rule"
        )
        func shutdownCutsHangingSends() async throws {
            let (peer, box, scratch) = try Self.peerSandbox(
                "slow_http_peer.py", path: "/hang", extra: ", timeout: 300s")
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon(arguments: ["--shutdown-grace", "1"]).running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(await eventually(within: 20) { peer.lines().count == 1 }, "log:\n\(daemon.logText())")
            daemon.signal(SIGTERM)
            // The peer holds the request for 120 s and the transfer may take 300 s: only a cut ends it sooner.
            let status = await daemon.waitForExit(seconds: 60)
            #expect(status == 0, "log:\n\(daemon.logText())")
            #expect(daemon.logText().contains("cutting 1 send(s) in flight"))
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            let row = try #require(try await box.openStore().outboxRow(messageId: id))
            // The webhook receiver deduplicates on webhook-id: an interrupted send is re-queued.
            #expect(row.state == .retry, "\(row)")
            let attempts = try await box.openStore().attempts(messageId: id)
            #expect(
                attempts.count == 1 && attempts[0].finishedAt != nil && attempts[0].outcome == "retry",
                "\(attempts)")
        }
    }
}
