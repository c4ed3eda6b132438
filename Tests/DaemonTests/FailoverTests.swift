import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    @Suite("failover between two real SMTP peers") struct Failover {
        /// The envelope recipients an aiosmtpd peer (Tests/Peers/smtp_peer.py) saved in `folder`.
        static func recipients(_ folder: URL) -> [String] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { $0.hasSuffix(".json") }
            return names.flatMap { name -> [String] in
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                else { return [] }
                return object["rcpt_tos"] as? [String] ?? []
            }
        }

        static func mails(_ range: Range<Int>, at t: Instant) -> [String] {
            range.flatMap { i in
                [
                    Line.identify("u\(i)", index: i, at: t),
                    Line.track("Mail Ping", user: "u\(i)", id: "m\(i)", n: i, at: t.plus(ms: 1)),
                ]
            }
        }

        @Test(
            "the first peer stops mid-run: the second takes over, each mail arrives exactly once and at one peer; the first comes back and is used again"
        )
        func stopAndComeBack() async throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-failover-\(UUID().uuidString)")
            let first = scratch.appendingPathComponent("first")
            let second = scratch.appendingPathComponent("second")
            for folder in [first, second] {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            defer { try? FileManager.default.removeItem(at: scratch) }
            var a = try Peer("smtp_peer.py", record: first)
            defer { a.stop() }
            let b = try Peer("smtp_peer.py", record: second)
            defer { b.stop() }
            let port = a.port
            let box = try Sandbox(
                channels: """
                      email:
                        - { kind: smtp, url: "smtp://127.0.0.1:\(port)", from: shop@example.com, timeout: 5s,
                            failover-after: 2, failover-backoff: 1s }
                        - { kind: smtp, url: "smtp://127.0.0.1:\(b.port)", from: shop@example.com, timeout: 5s }
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            func address(_ r: Range<Int>) -> [String] { r.map { "u\($0)@example.com" } }

            try box.append(Self.mails(0..<10, at: wallNow().plus(ms: -2_000)))
            #expect(
                await eventually(within: 30) { Self.recipients(first).count == 10 },
                "log:\n\(daemon.logText())")
            // Stopped between sends, so no mail is caught mid-DATA (that one would be `unknown`, not re-sent).
            a.stop()
            try box.append(Self.mails(10..<20, at: wallNow().plus(ms: -2_000)))
            #expect(
                await eventually(within: 60) { Self.recipients(second).count == 10 },
                "log:\n\(daemon.logText())")
            a = try Peer("smtp_peer.py", record: first, arguments: ["--port", "\(port)"])
            // Past the first peer's rest (1 s, 2 s after a failed probe): the next mails go to it again.
            try await Task.sleep(nanoseconds: 5_000_000_000)
            try box.append(Self.mails(20..<30, at: wallNow().plus(ms: -2_000)))
            #expect(
                await eventually(within: 60) {
                    Self.recipients(first).count + Self.recipients(second).count >= 30
                },
                "log:\n\(daemon.logText())")
            let atFirst = Self.recipients(first)
            let atSecond = Self.recipients(second)
            #expect(Set(atFirst).isDisjoint(with: atSecond), "a mail reached both peers")
            #expect((atFirst + atSecond).sorted() == address(0..<30).sorted(), "each mail exactly once")
            #expect(Set(atFirst) == Set(address(0..<10) + address(20..<30)))
            #expect(Set(atSecond) == Set(address(10..<20)))
            let store = try box.openStore()
            // A peer has a mail a moment before its outcome is committed.
            var delivered = 0
            for _ in 0..<100 where delivered < 30 {
                delivered = try await store.status().outbox[.delivered] ?? 0
                if delivered < 30 { try await Task.sleep(nanoseconds: 100_000_000) }
            }
            #expect(delivered == 30)
            // Every attempt's answer names the provider it used.
            let id = Line.messageId(rule: "ping-mail", user: "u15", trigger: "m15")
            let attempts = try await store.attempts(messageId: id)
            #expect(
                attempts.last?.answer?.hasPrefix("provider 2 smtp 127.0.0.1:\(b.port): ") == true,
                "\(attempts)")
        }
    }
}
