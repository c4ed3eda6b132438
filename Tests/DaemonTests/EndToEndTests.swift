import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// `touchpoint run` as a child process, against a real HTTP peer (webhook `chat`) and the file adapter (`sms`).
    @Suite("touchpoint run, end to end") struct EndToEnd {
        /// A sandbox whose `chat` posts to `peer` (signed, so requests carry `webhook-id`) and `sms` writes files.
        static func sandbox(peer: Peer, path: String = "/ok/hook", extra: String = "") throws -> Sandbox {
            try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)\(path)", secret: "whsec_dGVzdHNlY3JldA==" \(extra)}
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """)
        }

        static func webhookIds(_ peer: Peer) -> [String] {
            peer.lines().compactMap { request in
                (request["headers"] as? [[String]])?.first { $0.first?.lowercased() == "webhook-id" }?.last
            }
        }

        static func bodies(_ peer: Peer) -> [String] { peer.lines().compactMap { $0["body"] as? String } }

        @Test("an event line appended to a file is delivered: webhook by its stable id, file adapter by name")
        func appendedEventIsDelivered() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Self.sandbox(peer: peer)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
                Line.track("SMS Ping", user: "u1", id: "e2", n: 2, at: t.plus(ms: 2)),
            ])
            let chatId = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            let smsId = Line.messageId(rule: "ping-sms", user: "u1", trigger: "e2")
            let arrived = await eventually(within: 20) {
                Self.webhookIds(peer).contains(chatId) && box.fileOutboxNames().contains(smsId + ".json")
            }
            #expect(arrived, "log:\n\(daemon.logText())")
            #expect(Self.bodies(peer).contains { $0.contains("token [1]") })
            let file = try String(
                contentsOf: box.fileOutbox.appendingPathComponent(smsId + ".json"), encoding: .utf8)
            #expect(file.contains("token [2]"))
            #expect(Self.webhookIds(peer) == [chatId])
        }

        @Test(
            "a malformed line is quarantined with its place, shown by status, and the lines after it still apply"
        )
        func malformedLineIsQuarantined() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Self.sandbox(peer: peer)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                "{\"type\":\"track\",\"userId\":\"u1\", oops",
                "{\"type\":\"track\",\"event\":\"Chat Ping\",\"timestamp\":\"\(Line.time(t))\"}",
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            #expect(
                await eventually(within: 20) { Self.webhookIds(peer).contains(id) },
                "log:\n\(daemon.logText())")
            let status = try box.status()
            #expect(status.contains("quarantined      2"), "\(status)")
            #expect(status.contains("a.jsonl:2:"), "\(status)")
            #expect(status.contains("a.jsonl:3:"), "\(status)")
            #expect(status.contains("events applied   2"), "\(status)")
            #expect(daemon.logText().contains("a.jsonl:2"))
        }

        @Test("SIGTERM stops with exit 0 and commits what was read; a restart resumes at the stored offset")
        func gracefulStopAndResume() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Self.sandbox(peer: peer)
            defer { box.remove() }
            let t = wallNow().plus(ms: -2_000)
            var daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
                Line.track("SMS Ping", user: "u1", id: "e2", n: 2, at: t.plus(ms: 2)),
            ])
            #expect(
                await eventually(within: 20) {
                    Self.webhookIds(peer).count == 1 && box.fileOutboxNames().count == 1
                })
            // Lines appended right before SIGTERM are still applied and committed by the last batch.
            try box.append([Line.track("Chat Ping", user: "u1", id: "e3", n: 3, at: t.plus(ms: 3))])
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit(seconds: 20)
            #expect(status == 0, "log:\n\(daemon.logText())")
            let stopped = try await box.openStore().status()
            #expect(stopped.eventsApplied == 4)
            let rows = try await box.openStore().outboxRow(
                messageId: Line.messageId(rule: "ping-chat", user: "u1", trigger: "e3"))
            #expect(rows != nil, "the message decided in the last batch is in the outbox")

            daemon = try await box.startDaemon().running()
            try box.append([Line.track("SMS Ping", user: "u1", id: "e4", n: 4, at: t.plus(ms: 4))])
            #expect(
                await eventually(within: 20) {
                    Self.webhookIds(peer).count == 2 && box.fileOutboxNames().count == 2
                })
            // Give a wrong re-send a chance to show up before counting.
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(
                Set(Self.webhookIds(peer)).count == 2 && Self.webhookIds(peer).count == 2, "nothing re-sent")
            #expect(box.fileOutboxNames().count == 2)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 20) == 0)
            let final = try await box.openStore().status()
            #expect(final.eventsApplied == 5, "nothing re-applied")
            #expect(final.outbox[.delivered] == 4)
            #expect(final.offsets.first?.line == 5)
        }

        @Test(
            "SIGHUP with a broken rule file keeps the running rules (refused in the log); a fixed file is picked up"
        )
        func reloadRefusesBrokenRules() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Self.sandbox(peer: peer)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            #expect(await eventually(within: 20) { daemon.logText().contains("touchpoint running") })
            let ruleFile = box.rules.appendingPathComponent("ping.yaml")
            try "rules:\n  - name: ping-chat\n    when: { event: Chat Ping\n".write(
                to: ruleFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(
                await eventually(within: 20) { daemon.logText().contains("refused") },
                "log:\n\(daemon.logText())")
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            let old = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            #expect(
                await eventually(within: 20) { Self.webhookIds(peer).contains(old) },
                "the old rules still run")

            let fixed =
                Sandbox.pingRules + """
                      - name: hello
                        when: { event: Hello }
                        send: { template: ping, channels: [chat] }
                        transactional: true

                    """
            try fixed.write(to: ruleFile, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(
                await eventually(within: 20) {
                    guard let refused = daemon.logText().range(of: "refused") else { return false }
                    return daemon.logText()[refused.upperBound...].contains("reloaded")
                }, "log:\n\(daemon.logText())")
            try box.append([Line.track("Hello", user: "u1", id: "e2", n: 2, at: wallNow())])
            let new = Line.messageId(rule: "hello", user: "u1", trigger: "e2")
            #expect(
                await eventually(within: 20) { Self.webhookIds(peer).contains(new) },
                "log:\n\(daemon.logText())")
        }

        @Test(
            "a back-filled file with old timestamps does not spray: its messages are dropped window-expired")
        func backfillIsNotSprayed() async throws {
            let folder = try Sandbox(channels: "")
            defer { folder.remove() }
            let peer = try Peer("http_peer.py", record: folder.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Self.sandbox(peer: peer)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let old = wallNow() - .days(3)
            var lines = [Line.identify("u1", index: 1, at: old)]
            for n in 1...20 {
                lines.append(
                    Line.track(
                        n % 2 == 0 ? "Chat Ping" : "SMS Ping", user: "u1", id: "old-\(n)", n: n,
                        at: old.plus(ms: Int64(n) * 60_000)))
            }
            try box.append(lines, to: "2026-backfill.jsonl")
            #expect(
                await eventually(within: 20) { (try? box.status())?.contains("dropped          20") == true },
                "status:\n\((try? box.status()) ?? "")\nlog:\n\(daemon.logText())")
            // A fresh event after the back-fill goes out: the back-fill was read, and dropped rather than sent.
            try box.append(
                [Line.track("Chat Ping", user: "u1", id: "new-1", n: 99, at: wallNow())],
                to: "2026-live.jsonl")
            let fresh = Line.messageId(rule: "ping-chat", user: "u1", trigger: "new-1")
            #expect(await eventually(within: 20) { Self.webhookIds(peer).contains(fresh) })
            #expect(Self.webhookIds(peer) == [fresh])
            #expect(box.fileOutboxNames().isEmpty)
            let store = try box.openStore()
            let s = try await store.status()
            #expect(s.dropped == 20)
            #expect(s.outbox[.delivered] == 1)
        }
    }
}
