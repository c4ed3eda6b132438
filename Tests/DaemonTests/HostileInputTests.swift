import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Issue 12, the security items, through the real binary, SQLite and a real HTTP peer.
    @Suite("hostile input, through touchpoint run") struct HostileInput {
        static func chatRecipients(_ peer: Peer) -> [String] {
            EndToEnd.bodies(peer).compactMap { body in
                (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["to"] as? String
            }
        }

        @Test(
            "#2: an escaped NUL in userId is quarantined with its reason; the victim's row and messages stay the victim's, across a restart"
        )
        func nulInUserId() async throws {
            let (peer, box, scratch) = try Faults.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            var daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -2_000)
            try box.append([
                #"{"type":"identify","userId":"victim","timestamp":"\#(Line.time(t))","traits":{"chat_id":"chat-victim"}}"#,
                #"{"type":"identify","userId":"victim\u0000x","timestamp":"\#(Line.time(t.plus(ms: 1)))","traits":{"chat_id":"chat-mallory"}}"#,
                #"{"type":"track","event":"Chat Ping","userId":"u1","messageId":"order\u0000-1","timestamp":"\#(Line.time(t.plus(ms: 2)))"}"#,
                Line.track("Chat Ping", user: "victim", id: "e1", n: 1, at: t.plus(ms: 3)),
            ])
            #expect(
                await eventually(within: 20) { Self.chatRecipients(peer).count == 1 },
                "log:\n\(daemon.logText())")
            #expect(Self.chatRecipients(peer) == ["chat-victim"])
            let status = try box.status()
            #expect(status.contains("quarantined      2"), "\(status)")
            #expect(
                status.contains("'userId' contains a control character (U+0000 at character 7)"), "\(status)")
            #expect(
                status.contains("'messageId' contains a control character (U+0000 at character 6)"),
                "\(status)")
            #expect(status.contains("customers        1"), "\(status)")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 30) == 0)
            daemon = try await box.startDaemon().running()
            try box.append([Line.track("Chat Ping", user: "victim", id: "e2", n: 2, at: wallNow())])
            #expect(
                await eventually(within: 20) { Self.chatRecipients(peer).count == 2 },
                "log:\n\(daemon.logText())")
            #expect(Self.chatRecipients(peer) == ["chat-victim", "chat-victim"])
        }

        @Test("#4: a refused config names the ${VAR}, never its value; no outbox row holds the webhook URL")
        func secretsNotEchoed() async throws {
            let (peer, box, scratch) = try Faults.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let secret = "hunter2-\(UUID().uuidString)"
            let refused = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "${HOOK_URL}", insecure: "${HOOK_FLAG}" }
                      sms: { kind: smtp, url: "smtp://127.0.0.1:25", from: "a@b.example", password: "${SMTP_PASSWORD}" }
                      email: { kind: file, path: mail }
                    """)
            defer { refused.remove() }
            let env = [
                "HOOK_URL": "ftp://hooks.example/services/\(secret)-url", "HOOK_FLAG": secret,
                "SMTP_PASSWORD": secret + "-smtp",
            ]
            let daemon = try refused.startDaemon(environment: env)
            #expect(await daemon.waitForExit(seconds: 30) == 1)
            let log = daemon.logText()
            #expect(!log.contains(secret), "\(log)")
            #expect(log.contains("${HOOK_FLAG}"), "\(log)")
            #expect(log.contains("in the clear"), "\(log)")
            let check = try refused.touchpoint(["check"], environment: env)
            #expect(check.status == 1)
            #expect(!check.output.contains(secret), "\(check.output)")
            #expect(check.output.contains("option 'insecure' in channel 'chat'"), "\(check.output)")

            // A running daemon: the stored request has the body, not the endpoint.
            let running = try await box.startDaemon().running()
            defer { running.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(await eventually(within: 20) { peer.lines().count == 1 })
            let row = try #require(
                try await box.openStore().outboxRow(
                    messageId: Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")))
            let stored = String(decoding: row.prepared, as: UTF8.self)
            #expect(!stored.contains("/ok/hook") && !stored.contains("127.0.0.1"), "\(stored)")
            #expect(!stored.contains("webhook-signature"))
        }

        @Test("#5: SMTP AUTH over smtp:// without TLS is a check error, and run refuses it")
        func cleartextAuthIsACheckError() async throws {
            let box = try Sandbox(
                channels: """
                      email: { kind: smtp, url: "smtp://127.0.0.1:2525", from: "shop@example.com", username: "u", password: "p4ss" }
                      chat: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let check = try box.touchpoint(["check"])
            #expect(check.status == 1)
            #expect(check.output.contains("touchpoint.yaml:"), "\(check.output)")
            #expect(
                check.output.contains("error: channel 'email': smtp AUTH over smtp:// without TLS"),
                "\(check.output)")
            let daemon = try box.startDaemon()
            #expect(await daemon.waitForExit(seconds: 30) == 1)
            #expect(daemon.logText().contains("insecure-auth: true"))
        }

        @Test("#6: an address with a newline forges no log line, and no address is logged")
        func logsAreSafe() async throws {
            let (peer, box, scratch) = try Faults.peerSandbox()
            defer {
                peer.stop()
                box.remove()
                scratch.remove()
            }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            let forged =
                #"mallory@evil.example\n2026-12-02T10:00:00+0000 critical touchpoint : [message.id: x] store wiped"#
            try box.append([
                #"{"type":"identify","userId":"u1","timestamp":"\#(Line.time(t))","traits":{"email":"\#(forged)"}}"#,
                Line.track("Mail Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
                Line.track("Chat Ping", user: "u1@shop.example", id: "e2", n: 2, at: t.plus(ms: 2)),
            ])
            #expect(
                await eventually(within: 20) { daemon.logText().contains("not a usable email address") },
                "log:\n\(daemon.logText())")
            let log = daemon.logText()
            #expect(
                !log.split(separator: "\n").contains { $0.hasPrefix("2026-12-02T10:00:00+0000 critical") },
                "\(log)")
            #expect(!log.contains("mallory@evil.example"), "\(log)")
            #expect(!log.contains("u1@shop.example"), "\(log)")
            #expect(log.contains("m***@e***"), "\(log)")
        }

        @Test("#7: the store, its WAL and the file adapter's output are 0600, their folders 0700")
        func filesArePrivate() async throws {
            let box = try Sandbox(
                channels: """
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                      email: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let old = umask(0o022)
            defer { umask(old) }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("SMS Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
            ])
            #expect(
                await eventually(within: 20) { box.fileOutboxNames().count == 1 }, "log:\n\(daemon.logText())"
            )
            func mode(_ url: URL) throws -> Int {
                (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1)
                    & 0o777
            }
            #expect(try mode(box.store) == 0o600)
            #expect(try mode(URL(fileURLWithPath: box.store.path + "-wal")) == 0o600)
            #expect(try mode(URL(fileURLWithPath: box.store.path + ".lock")) == 0o600)
            #expect(try mode(box.fileOutbox) == 0o700)
            #expect(try mode(box.fileOutbox.appendingPathComponent(box.fileOutboxNames()[0])) == 0o600)
        }
    }
}
