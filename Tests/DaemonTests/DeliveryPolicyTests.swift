import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Issue 15: retries that outlast an outage, re-signed webhooks, 410 that disables visibly.
    @Suite("retry schedules, re-signing and disabled endpoints, through touchpoint run") struct DeliveryPolicy
    {
        static let secret = "whsec_dGVzdHNlY3JldA=="

        static func sandbox(path: String, retry: String = "", extraConfig: String = "") throws -> (
            Peer, Sandbox, Sandbox
        ) {
            let scratch = try Sandbox(channels: "")
            let peer = try Peer("http_peer.py", record: scratch.root.appendingPathComponent("peer.jsonl"))
            let box = try Sandbox(
                channels: chatChannel(port: peer.port, path: path, retry: retry), extraConfig: extraConfig)
            return (peer, box, scratch)
        }

        static func chatChannel(port: Int, path: String, retry: String) -> String {
            """
              chat: { kind: webhook, url: "http://127.0.0.1:\(port)\(path)", secret: "\(secret)"\(retry.isEmpty ? "" : ", retry: \(retry)") }
              sms: { kind: file, path: outbox }
              email: { kind: file, path: mail }
            """
        }

        /// The store's dropped messages (reason, detail), read with Python's sqlite3.
        static func droppedRows(_ box: Sandbox) throws -> [(reason: String, detail: String)] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try Paths.python())
            p.arguments = [
                "-c",
                "import sqlite3,sys,json; print(json.dumps(sqlite3.connect(sys.argv[1]).execute('SELECT reason, coalesce(detail, \\'\\') FROM dropped ORDER BY reason, detail').fetchall()))",
                box.store.path,
            ]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String]])
            return rows.map { ($0[0], $0[1]) }
        }

        /// `touchpoint outbox SUBCOMMAND --config <the sandbox's config> ARGUMENTS…`: its output and status.
        static func outbox(_ box: Sandbox, _ command: [String]) throws -> (output: String, status: Int32) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
            p.arguments = ["outbox", command[0], "--config", box.config.path] + command.dropFirst()
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (String(decoding: data, as: UTF8.self), p.terminationStatus)
        }

        static func header(_ request: [String: Any], _ name: String) -> String? {
            (request["headers"] as? [[String]])?.first { $0.first?.lowercased() == name }?.last
        }

        /// Verifies a recorded request with the PyPI `standardwebhooks` package where a python3 has it
        /// (CI installs it; it refuses a timestamp more than 5 minutes off), else with Python's hmac.
        static func verify(_ request: [String: Any]) throws -> (ok: Bool, output: String) {
            var candidates = ["/usr/bin/python3", "/usr/local/bin/python3"]
            candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
                "\($0)/python3"
            }
            func run(_ python: String, _ arguments: [String]) throws -> (Int32, String) {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: python)
                p.arguments = arguments
                let out = Pipe()
                p.standardOutput = out
                p.standardError = out
                try p.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                return (p.terminationStatus, String(decoding: data, as: UTF8.self))
            }
            let existing = candidates.filter { FileManager.default.isExecutableFile(atPath: $0) }
            let python =
                try existing.first { try run($0, ["-c", "import standardwebhooks"]).0 == 0 } ?? existing.first
            guard let python else { throw TestFailure("no python3") }
            let line = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
            let (status, output) = try run(
                python, [Paths.peers.appendingPathComponent("verify_webhook.py").path, secret, line])
            return (status == 0, output)
        }

        @Test(
            "a peer answering 500 then 200 is retried per the channel's schedule, each attempt signed afresh under one webhook-id"
        )
        func retriedPerSchedule() async throws {
            let (peer, box, scratch) = try Self.sandbox(
                path: "/flaky/2/hook", retry: "{ schedule: [1s, 1s] }")
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
            let store = try box.openStore()
            #expect(
                await rowBecomes(store, id, within: 30) { $0.state == .delivered },
                "log:\n\(daemon.logText())")
            let attempts = try await store.attempts(messageId: id)
            #expect(attempts.map(\.outcome) == ["retry", "retry", "delivered"], "\(attempts)")
            let requests = peer.lines()
            #expect(requests.count == 3)
            #expect(Set(requests.map { Self.header($0, "webhook-id") }) == [id])
            let stamps = requests.compactMap { Self.header($0, "webhook-timestamp").flatMap { Int64($0) } }
            #expect(stamps.count == 3 && stamps == stamps.sorted(), "\(stamps)")
            for r in requests {
                let check = try Self.verify(r)
                #expect(check.ok, "\(check.output)")
            }
            #expect(
                daemon.logText().contains("transient failure, retrying in 1000 ms"), "\(daemon.logText())")
        }

        @Test("when the schedule is spent the message is a dead letter, after exactly its attempts")
        func scheduleSpent() async throws {
            let (peer, box, scratch) = try Self.sandbox(path: "/flaky/99/hook", retry: "{ schedule: [1s] }")
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
            let store = try box.openStore()
            #expect(
                await rowBecomes(store, id, within: 30) { $0.state == .dead },
                "log:\n\(daemon.logText())")
            let row = try #require(try await store.outboxRow(messageId: id))
            #expect(row.attempts == 2)
            #expect(row.reason == "gave up after 2 attempts")
            #expect(peer.lines().count == 2)
        }

        @Test("a retry that would fall due past the message's window is dropped window-expired at once")
        func retryPastWindow() async throws {
            let (peer, box, scratch) = try Self.sandbox(
                path: "/flaky/99/hook", retry: "{ schedule: [1h] }", extraConfig: "max-lateness: 1m")
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
            let store = try box.openStore()
            #expect(
                await rowBecomes(store, id, within: 30) { $0.state == .dropped },
                "log:\n\(daemon.logText())")
            let row = try #require(try await store.outboxRow(messageId: id))
            #expect(row.reason == "window-expired")
            #expect(row.attempts == 1)
            #expect(peer.lines().count == 1)
        }

        @Test(
            "outbox retry re-sends a dead webhook signed at its new attempt's time, which the official verifier accepts"
        )
        func outboxRetryResigns() async throws {
            let (peer, box, scratch) = try Self.sandbox(path: "/flaky/1/hook", retry: "{ schedule: [] }")
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
            let store = try box.openStore()
            #expect(
                await rowBecomes(store, id, within: 30) { $0.state == .dead },
                "log:\n\(daemon.logText())")
            // Into the next second, so a signature made at the first attempt would carry an older timestamp.
            let first = try #require(peer.lines().first.flatMap { Self.header($0, "webhook-timestamp") })
            while wallNow().epochSeconds <= Int64(first)! { try await Task.sleep(nanoseconds: 50_000_000) }
            let before = wallNow().epochSeconds
            let retry = try Self.outbox(box, ["retry", id])
            #expect(retry.status == 0, "\(retry.output)")
            #expect(
                await rowBecomes(store, id, within: 30) { $0.state == .delivered },
                "log:\n\(daemon.logText())")
            let requests = peer.lines()
            #expect(requests.count == 2)
            let second = try #require(requests.last)
            #expect(Self.header(second, "webhook-id") == id)
            let stamp = try #require(Self.header(second, "webhook-timestamp").flatMap { Int64($0) })
            #expect(stamp >= before, "signed at the re-sent attempt, not at the first (\(first))")
            #expect(requests.first?["body"] as? String == second["body"] as? String, "the same stored body")
            let check = try Self.verify(second)
            #expect(check.ok, "\(check.output)")
        }

        @Test(
            "410 disables the channel visibly (log, status), survives a restart, and is enabled again by outbox enable or a changed channel config"
        )
        func goneDisablesUntilEnabled() async throws {
            let (peer, box, scratch) = try Self.sandbox(path: "/status/410")
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
            let e1 = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            let store = try box.openStore()
            #expect(
                await rowBecomes(store, e1, within: 30) { $0.state == .dead },
                "log:\n\(daemon.logText())")
            #expect(
                await eventually(within: 10) {
                    (try? box.status())?.contains("disabled endpoints: chat since ") == true
                }, "\((try? box.status()) ?? "")")
            #expect(daemon.logText().contains("endpoint gone (410): channel chat disabled"))
            #expect(try box.status().contains("status 410"))

            // Disabled means nothing more goes to it, across a restart too.
            daemon.signal(SIGTERM)
            _ = await daemon.waitForExit(seconds: 30)
            daemon = try await box.startDaemon(log: "second.log").running()
            #expect(
                await eventually(within: 10) {
                    daemon.logText().contains("channel chat is disabled since its endpoint answered 410 Gone")
                }, "\(daemon.logText())")
            try box.append([Line.track("Chat Ping", user: "u1", id: "e2", n: 2, at: wallNow())])
            let e2 = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e2")
            #expect(
                await rowBecomes(store, e2, within: 30) { $0.state == .dead },
                "log:\n\(daemon.logText())")
            #expect(try await store.outboxRow(messageId: e2)?.lastAnswer?.contains("is disabled") == true)
            #expect(peer.lines().count == 1, "the second message never reached the endpoint")

            // `outbox enable` beside the running daemon.
            let enable = try Self.outbox(box, ["enable", "chat"])
            #expect(enable.status == 0, "\(enable.output)")
            #expect(try box.status().contains("disabled endpoints: none"))
            #expect(try Self.outbox(box, ["enable", "chat"]).status == 1, "nothing to enable")
            #expect(
                await eventually(within: 10) { daemon.logText().contains("channel chat enabled again") },
                "\(daemon.logText())")
            try box.append([Line.track("Chat Ping", user: "u1", id: "e3", n: 3, at: wallNow())])
            #expect(
                await eventually(within: 30) { peer.lines().count == 2 }, "log:\n\(daemon.logText())")
            // The endpoint still answers 410: disabled again. A changed URL (a reload) enables it.
            #expect(
                await eventually(within: 10) {
                    (try? box.status())?.contains("disabled endpoints: chat since ") == true
                })
            let config = try String(contentsOf: box.config, encoding: .utf8).replacingOccurrences(
                of: "/status/410", with: "/ok/hook")
            try config.write(to: box.config, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(
                await eventually(within: 20) {
                    daemon.logText().contains("channel chat enabled again: its configuration changed")
                }, "\(daemon.logText())")
            #expect(
                await eventually(within: 10) {
                    (try? box.status())?.contains("disabled endpoints: none") == true
                })
            try box.append([Line.track("Chat Ping", user: "u1", id: "e4", n: 4, at: wallNow())])
            let e4 = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e4")
            #expect(
                await rowBecomes(store, e4, within: 30) { $0.state == .delivered },
                "log:\n\(daemon.logText())")
        }

        @Test(
            "over real SMTP a marketing email carries List-Unsubscribe and One-Click, a transactional one neither"
        )
        func transactionalHasNoListUnsubscribe() async throws {
            let scratch = try Sandbox(channels: "")
            defer { scratch.remove() }
            let mail = scratch.root.appendingPathComponent("mail")
            try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
            let peer = try Peer("smtp_peer.py", record: mail)
            defer { peer.stop() }
            let rules =
                Sandbox.pingRules + """
                      - name: promo-mail
                        when: { event: Promo Ping }
                        send: { template: ping, channels: [email] }

                    """
            let box = try Sandbox(
                channels: """
                      email: { kind: smtp, url: "smtp://127.0.0.1:\(peer.port)", from: "Shop <news@shop.example>", unsubscribe-url: "https://shop.example/u/{{message.id}}" }
                      chat: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                    """, rules: rules)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Mail Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
                Line.track("Promo Ping", user: "u1", id: "e2", n: 2, at: wallNow()),
            ])
            let store = try box.openStore()
            let receipt = Line.messageId(rule: "ping-mail", user: "u1", trigger: "e1")
            let promo = Line.messageId(rule: "promo-mail", user: "u1", trigger: "e2")
            for id in [receipt, promo] {
                #expect(
                    await rowBecomes(store, id, within: 30) { $0.state == .delivered },
                    "log:\n\(daemon.logText())")
            }
            var byId: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: mail.path)
            where name.hasSuffix(".eml") {
                let text = try String(contentsOf: mail.appendingPathComponent(name), encoding: .utf8)
                for id in [receipt, promo] where text.contains("<\(id)@shop.example>") { byId[id] = text }
            }
            let receiptText = try #require(byId[receipt])
            let promoText = try #require(byId[promo])
            #expect(!receiptText.contains("List-Unsubscribe"), "\(receiptText)")
            #expect(promoText.contains("List-Unsubscribe: <https://shop.example/u/\(promo)>"), "\(promoText)")
            #expect(promoText.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        }

        @Test(
            "a transactional email is sent even when the channel's unsubscribe-url names a trait the customer lacks"
        )
        func transactionalIgnoresUnsubscribeLink() async throws {
            let rules =
                Sandbox.pingRules + """
                      - name: promo-mail
                        when: { event: Promo Ping }
                        send: { template: ping, channels: [email] }

                    """
            let box = try Sandbox(
                channels: """
                      email: { kind: file, path: mail, unsubscribe-url: "https://shop.example/u/{{customer.token}}" }
                      chat: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                    """, rules: rules)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append([
                Line.identify("u1", index: 1, at: wallNow()),
                Line.track("Mail Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
                Line.track("Promo Ping", user: "u1", id: "e2", n: 2, at: wallNow()),
            ])
            let store = try box.openStore()
            let receipt = Line.messageId(rule: "ping-mail", user: "u1", trigger: "e1")
            #expect(
                await rowBecomes(store, receipt, within: 30) { $0.state == .delivered },
                "log:\n\(daemon.logText())")
            let eml = try String(
                contentsOf: box.root.appendingPathComponent("mail/\(receipt).eml"), encoding: .utf8)
            #expect(!eml.contains("List-Unsubscribe"))
            #expect(
                await eventually(within: 20) {
                    (try? Self.droppedRows(box))?.contains { $0.reason == "missing-variable" } == true
                }, "the marketing one, which needs the link, is held back")
        }

        @Test(
            "an SMS to a number that is not E.164 and an email to a malformed address are dropped invalid-address, counted"
        )
        func invalidAddresses() async throws {
            let scratch = try Sandbox(channels: "")
            defer { scratch.remove() }
            let peer = try Peer("http_peer.py", record: scratch.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Sandbox(
                channels: """
                      sms: { kind: twilio, url: "http://127.0.0.1:\(peer.port)/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json", account: AC0123456789abcdef0123456789abcdef, token: t0ken, from: "+15550100" }
                      email: { kind: file, path: mail }
                      chat: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let t = Line.time(wallNow())
            try box.append([
                #"{"type":"identify","userId":"u1","timestamp":"\#(t)","traits":{"email":"not an address","phone":"not-a-phone"}}"#,
                Line.track("SMS Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
                Line.track("Mail Ping", user: "u1", id: "e2", n: 2, at: wallNow()),
            ])
            #expect(
                await eventually(within: 30) { (try? box.status())?.contains("dropped          2") == true },
                "\((try? box.status()) ?? "")\n\(daemon.logText())")
            let dropped = try Self.droppedRows(box)
            #expect(dropped.map(\.reason) == ["invalid-address", "invalid-address"], "\(dropped)")
            #expect(dropped.contains { $0.detail.contains("is not an E.164 phone number") }, "\(dropped)")
            #expect(dropped.contains { $0.detail.contains("is not a usable email address") }, "\(dropped)")
            #expect(peer.lines().isEmpty, "nothing was sent")
            #expect(daemon.logText().contains("invalid-address: "), "\(daemon.logText())")
        }

        @Test(
            "the dry-run holds back what the daemon drops, with the same reason and detail: Block Kit limits broken by the data, an SMS number not in E.164, a malformed email"
        )
        func dryRunAgreesOnUnsendable() async throws {
            let scratch = try Sandbox(channels: "")
            defer { scratch.remove() }
            let peer = try Peer("http_peer.py", record: scratch.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Sandbox(
                channels: """
                      sms: { kind: twilio, url: "http://127.0.0.1:\(peer.port)/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json", account: AC0123456789abcdef0123456789abcdef, token: t0ken, from: "+15550100" }
                      email: { kind: file, path: mail }
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)/hooks/slack", format: slack }
                    """,
                templates: [
                    "ping/chat.mustache":
                        "---\nbuttons:\n  - { label: Open, url: \"{{event.properties.url}}\" }\n---\ntoken [{{event.properties.n}}]\n"
                ])
            defer { box.remove() }
            let t = Line.time(wallNow())
            func chat(_ id: String, _ n: Int, url: String) -> String {
                #"{"type":"track","event":"Chat Ping","userId":"u1","messageId":"\#(id)","timestamp":"\#(t)","properties":{"n":\#(n),"url":"\#(url)"}}"#
            }
            let lines = [
                #"{"type":"identify","userId":"u1","timestamp":"\#(t)","traits":{"email":"not an address","phone":"not-a-phone","chat_id":"C1"}}"#,
                Line.track("SMS Ping", user: "u1", id: "e1", n: 1, at: wallNow()),
                Line.track("Mail Ping", user: "u1", id: "e2", n: 2, at: wallNow()),
                chat("e3", 3, url: "javascript:alert(1)"),
                chat("e4", 4, url: "https://shop.example/" + String(repeating: "p", count: 3000)),
                chat("e5", 5, url: "https://shop.example/ok"),
            ]
            try box.append(lines)
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            #expect(
                await eventually(within: 30) {
                    (try? box.status())?.contains("dropped          4") == true && peer.lines().count == 1
                }, "\((try? box.status()) ?? "")\n\(daemon.logText())")
            let dropped = try Self.droppedRows(box).map { "\($0.reason): \($0.detail)" }.sorted()
            #expect(
                dropped == [
                    "invalid-address: 'not an address' is not a usable email address (no @)",
                    "invalid-address: 'not-a-phone' is not an E.164 phone number (+ and up to 15 digits, e.g. +15550100)",
                    "render-error: slack button 1 URL is 3021 characters; Block Kit allows 3000",
                    "render-error: slack button 1 URL must be http(s), not 'javascript': a script link is refused",
                ], "\(dropped)")
            let run = try box.touchpoint([
                "dry-run", "--format", "json", "--show-suppressed",
                box.events.appendingPathComponent("a.jsonl").path,
            ])
            let decisions = run.output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(decisions.count == 5, "\(run.output)")
            let held = decisions.filter { $0["decision"] as? String == "suppressed" }.map {
                "\($0["reason"] as? String ?? "?"): \($0["detail"] as? String ?? "?")"
            }.sorted()
            #expect(held == dropped, "\(run.output)")
            #expect(decisions.filter { $0["decision"] as? String == "send" }.count == 1, "\(run.output)")
            // The summary counts them by reason.
            #expect(run.output.contains("4 held back (invalid-address 2, render-error 2)"), "\(run.output)")
        }

        @Test(
            "send-test refuses a --to that is not E.164 for Twilio, or not an email address, before sending")
        func sendTestValidatesTo() throws {
            let scratch = try Sandbox(channels: "")
            defer { scratch.remove() }
            let peer = try Peer("http_peer.py", record: scratch.root.appendingPathComponent("peer.jsonl"))
            defer { peer.stop() }
            let box = try Sandbox(
                channels: """
                      sms: { kind: twilio, url: "http://127.0.0.1:\(peer.port)/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json", account: AC0123456789abcdef0123456789abcdef, token: t0ken, from: "+15550100" }
                      email: { kind: file, path: mail }
                      chat: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let event = box.root.appendingPathComponent("event.json")
            try #"{"event":"SMS Ping","properties":{"n":7}}"#.write(
                to: event, atomically: true, encoding: .utf8)
            func sendTest(_ channel: String, _ to: String) throws -> (output: String, status: Int32) {
                try box.touchpoint([
                    "send-test", "--template", "ping", "--channel", channel, "--to", to, "--event",
                    event.path,
                ])
            }
            let phone = try sendTest("sms", "not-a-phone")
            #expect(phone.status == 1)
            #expect(phone.output.contains("not sent: invalid-address: "), "\(phone.output)")
            #expect(phone.output.contains("is not an E.164 phone number"), "\(phone.output)")
            let mail = try sendTest("email", "nobody.example.com")
            #expect(mail.status == 1)
            #expect(mail.output.contains("is not a usable email address (no @)"), "\(mail.output)")
            #expect(peer.lines().isEmpty)
            let good = try sendTest("sms", "+15558675310")
            #expect(good.status == 0, "\(good.output)")
            #expect(peer.lines().count == 1)
        }

        @Test(
            "a backfill does not starve another file: its line is applied in the first batch, long before the backfill ends"
        )
        func backfillFairness() async throws {
            let box = try Sandbox(
                channels: """
                      chat: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """)
            defer { box.remove() }
            // "a-backfill.jsonl" sorts first: 40,000 profile lines ten minutes old, then one message at its end.
            let old = wallNow().plus(ms: -600_000)
            var lines: [String] = []
            lines.reserveCapacity(40_001)
            for i in 0..<40_000 {
                lines.append(Line.identify("b\(i % 500)", index: i, at: old.plus(ms: Int64(i))))
            }
            lines.append(Line.track("SMS Ping", user: "b1", id: "last", n: 1, at: old.plus(ms: 40_000)))
            try box.append(lines, to: "a-backfill.jsonl")
            try box.append(
                [
                    Line.identify("live", index: 1, at: old.plus(ms: 40_001)),
                    Line.track("SMS Ping", user: "live", id: "now", n: 2, at: old.plus(ms: 40_002)),
                ], to: "b-live.jsonl")
            let daemon = try await box.startDaemon(arguments: [
                "--batch-lines", "200", "--log-level", "debug",
            ])
            .running()
            defer { daemon.kill9() }
            let store = try box.openStore()
            let last = Line.messageId(rule: "ping-sms", user: "b1", trigger: "last")
            let live = Line.messageId(rule: "ping-sms", user: "live", trigger: "now")
            #expect(
                await rowBecomes(store, last, within: 120) { _ in true },
                "log:\n\(daemon.logText().suffix(3000))")
            let lastRow = try #require(try await store.outboxRow(messageId: last))
            let liveRow = try #require(try await store.outboxRow(messageId: live))
            // 40,001 lines at 200 a batch are 200 commits or more: the live file's line came in the first one.
            #expect(
                liveRow.createdAt < lastRow.createdAt,
                "live \(liveRow.createdAt), backfill end \(lastRow.createdAt)")
            let applied = try await store.status().eventsApplied
            #expect(applied == 40_003)
        }

        @Test("bad retry blocks are positioned errors in check")
        func badRetryConfig() throws {
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:9/x", retry: { schedule: [5s, 5], max-age: soon, every: 1s } }
                      sms: { kind: file, path: outbox, retry: { schedule: 5m } }
                      email: { kind: file, path: mail, retry: { schedule: [-5s], max-age: 0s } }
                    """)
            defer { box.remove() }
            let check = try box.touchpoint(["check"])
            #expect(check.status == 1)
            let out = check.output
            let path = box.config.path
            #expect(out.contains("unknown key 'every' in channels.chat.retry"), "\(out)")
            #expect(
                out.contains("'channels.chat.retry.schedule' needs a unit: '5' is a bare number"), "\(out)")
            #expect(out.contains("'channels.chat.retry.max-age' is not a duration: 'soon'"), "\(out)")
            #expect(out.contains("'channels.sms.retry.schedule' must be a list, found a string"), "\(out)")
            #expect(out.contains("'channels.email.retry.max-age' must be longer than 0"), "\(out)")
            #expect(out.contains("'channels.email.retry.schedule' is not a duration: '-5s'"), "\(out)")
            // Each at its place: the config path, a line and a column.
            for line in out.split(separator: "\n") where line.contains("retry") {
                #expect(line.hasPrefix("\(path):") || line.hasPrefix("touchpoint.yaml:"), "\(line)")
            }
        }
    }
}

/// Polls the outbox row of `id` until `condition` holds or `seconds` pass; whether it held.
func rowBecomes(
    _ store: SQLiteStore, _ id: String, within seconds: Double, _ condition: (OutboxRow) -> Bool
) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let row = try? await store.outboxRow(messageId: id), condition(row) { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return false
}
