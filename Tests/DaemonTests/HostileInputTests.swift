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

        /// A sandbox with the shipped rules and templates, every channel the file adapter. The shipped
        /// `thank-you` preheader is fixed text; this copy's greets the customer by name, so data reaches the
        /// preheader's escaping too (the MIME part's hidden `<div>`, the preview's card).
        static func shippedSandbox() throws -> Sandbox {
            let rules = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("rules/post-purchase.yaml"),
                encoding: .utf8)
            let box = try Sandbox(
                channels: """
                      email: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                    """, rules: rules)
            let fm = FileManager.default
            let shipped = Paths.packageRoot.appendingPathComponent("templates")
            for name in try fm.contentsOfDirectory(atPath: shipped.path) {
                try fm.copyItem(
                    at: shipped.appendingPathComponent(name),
                    to: box.root.appendingPathComponent("templates/\(name)"))
            }
            let email = box.root.appendingPathComponent("templates/thank-you/email.mustache")
            let text = try String(contentsOf: email, encoding: .utf8)
            let fixed = #"preheader: "We are getting it ready. Here is your receipt.""#
            #expect(text.contains(fixed), "the shipped preheader changed: update this test")
            try text.replacingOccurrences(
                of: fixed, with: #"preheader: "{{customer.first_name}}, we are getting it ready.""#
            ).write(to: email, atomically: true, encoding: .utf8)
            return box
        }

        /// Customer `c<k>` named `names[k]` orders, the order id and product name also `names[k]`.
        static func orders(_ names: [String], at t: Instant) throws -> [String] {
            func json(_ object: Any) throws -> String {
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                    as: UTF8.self)
            }
            return try names.enumerated().flatMap { k, name in
                [
                    try json([
                        "type": "identify", "userId": "c\(k)",
                        "timestamp": Line.time(t.plus(ms: Int64(2 * k))),
                        "traits": ["email": "c\(k)@example.com", "first_name": name],
                    ]),
                    try json([
                        "type": "track", "event": "Order Completed", "userId": "c\(k)",
                        "messageId": "order-\(k)",
                        "timestamp": Line.time(t.plus(ms: Int64(2 * k + 1))),
                        "properties": [
                            "order_id": name, "total": 20, "products": [["name": name, "quantity": 1]],
                        ] as [String: Any],
                    ]),
                ]
            }
        }

        /// The issue's payloads, and the harmless names their structure is checked against.
        static let payloads = [
            "\u{0600}<img src=x onerror=alert(document.domain)>\u{0301}", "x\"\u{0301} onmouseover=alert(1)",
        ]
        static let harmless = ["Qwyn", "Brin"]

        /// `touchpoint dry-run --format json --html PAGE` on `file`: the thank-you records by customer, and the page.
        static func dryRun(_ box: Sandbox, file: URL) throws -> (
            records: [String: [String: Any]], page: String
        ) {
            let page = box.root.appendingPathComponent("preview.html")
            let run = try CLIRun([
                "dry-run", "--config", box.config.path, "--format", "json", "--html", page.path, file.path,
            ])
            #expect(run.status == 0, "\(run.all)")
            var records: [String: [String: Any]] = [:]
            for line in run.stdout.split(separator: "\n") {
                let record = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                if record["rule"] as? String == "thank-you", let customer = record["customer"] as? String {
                    records[customer] = record
                }
            }
            return (records, try String(contentsOf: page, encoding: .utf8))
        }

        @Test(
            "#1: a name with a mark fused to < or \" adds no element or attribute to the thank-you email, its preheader or the preview (html.parser)"
        )
        func markupInNameStaysText() async throws {
            let box = try Self.shippedSandbox()
            defer { box.remove() }
            // Outside the events folder: the daemon below reads only its own lines.
            let file = box.root.appendingPathComponent("dry-run.jsonl")
            let t = Instant(milliseconds: 1_795_000_000_000)
            let replacements = Array(zip(Self.harmless, Self.payloads))

            // The dry-run: the same lines with harmless names, then with the payloads.
            try Self.orders(Self.harmless, at: t).map { $0 + "\n" }.joined().write(
                to: file, atomically: true, encoding: .utf8)
            let plain = try Self.dryRun(box, file: file)
            try Self.orders(Self.payloads, at: t).map { $0 + "\n" }.joined().write(
                to: file, atomically: true, encoding: .utf8)
            let hostile = try Self.dryRun(box, file: file)
            #expect(plain.records.count == 2 && hostile.records.count == 2, "\(hostile.records)")
            for (k, (name, payload)) in replacements.enumerated() {
                let ours = try #require(hostile.records["c\(k)"]?["content"] as? [String: Any])
                let base = try #require(plain.records["c\(k)"]?["content"] as? [String: Any])
                let preheader = try #require(ours["preheader"] as? String)
                #expect(preheader == "\(payload), we are getting it ready.")
                let html = try #require(ours["html"] as? String)
                #expect(!html.contains(payload), "the payload is in the HTML unescaped")
                let read = try HTMLStructure.read([html, base["html"] as? String ?? ""])
                #expect(read[0] == read[1].replacing([(name, payload)]), "\(payload.debugDescription)")
                #expect(read[0].text.contains("Hi \(payload),"))
                #expect(read[0].tags.count > 20)
            }
            let pages = try HTMLStructure.read([hostile.page, plain.page])
            #expect(pages[0] == pages[1].replacing(replacements), "the preview pages differ beyond the names")
            #expect(
                pages[0].frames.count >= 2 && pages[0].text.contains("\(Self.payloads[1]), we are getting"))

            // The daemon: the .eml the file adapter writes, its HTML part (with the hidden preheader).
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            try box.append(try Self.orders(Self.harmless + Self.payloads, at: wallNow().plus(ms: -2_000)))
            #expect(
                await eventually(within: 30) { box.fileOutboxNames().count == 4 }, "log:\n\(daemon.logText())"
            )
            func htmlPart(_ k: Int) throws -> String {
                let id = Line.messageId(rule: "thank-you", user: "c\(k)", trigger: "order-\(k)")
                let p = Process()
                p.executableURL = URL(fileURLWithPath: try Paths.python())
                p.arguments = [
                    Paths.peers.appendingPathComponent("parse_eml.py").path,
                    box.fileOutbox.appendingPathComponent(id + ".eml").path,
                ]
                let out = Pipe()
                p.standardOutput = out
                try p.run()
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                let mail = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                let parts = try #require(mail["parts"] as? [[String: Any]])
                return try #require(
                    parts.first { $0["type"] as? String == "text/html" }?["content"] as? String)
            }
            for (k, (name, payload)) in replacements.enumerated() {
                let read = try HTMLStructure.read([htmlPart(k + 2), htmlPart(k)])
                #expect(read[0] == read[1].replacing([(name, payload)]), "\(payload.debugDescription)")
                #expect(read[0].text.contains("\(payload), we are getting it ready."))
            }
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

/// What Python's html.parser reads in an HTML document (`Tests/HTMLCheck/html_structure.py`, the checker
/// `EscapingTests` uses): each tag with its attribute names and values, the text, and the documents of
/// its `srcdoc` frames, read the same way.
struct HTMLStructure: Equatable, CustomStringConvertible {
    /// `[name, attribute, value, attribute, value, …]`; a `srcdoc` value is read into ``frames`` instead.
    var tags: [[String]]
    var text: String
    var frames: [HTMLStructure] = []

    var description: String { "tags: \(tags)\ntext: \(text.debugDescription)\nframes: \(frames)" }

    static let script = Paths.testsFolder.appendingPathComponent("HTMLCheck/html_structure.py").path

    static func read(_ documents: [String]) throws -> [HTMLStructure] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Paths.python())
        process.arguments = [script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var lines = Data()
        for document in documents {
            lines += try JSONSerialization.data(withJSONObject: document, options: .fragmentsAllowed)
            lines += Data("\n".utf8)
        }
        // Written on another thread: the parser's answers could fill the pipe before they are read.
        let bytes = lines
        let writer = Thread {
            input.fileHandleForWriting.write(bytes)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var read: [HTMLStructure] = []
        var frames: [(owner: Int, document: String)] = []
        for line in String(decoding: answer, as: UTF8.self).split(separator: "\n") {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var tags: [[String]] = []
            for tag in try #require(object["tags"] as? [[Any]]) {
                var flat = [tag[0] as? String ?? ""]
                for attribute in (tag[1] as? [[Any]]) ?? [] {
                    let name = attribute[0] as? String ?? ""
                    let value = attribute[1] as? String ?? "<none>"
                    if name == "srcdoc" { frames.append((read.count, value)) }
                    flat += [name, name == "srcdoc" ? "<frame>" : value]
                }
                tags.append(flat)
            }
            read.append(HTMLStructure(tags: tags, text: object["text"] as? String ?? ""))
        }
        #expect(read.count == documents.count)
        if !frames.isEmpty {
            for (frame, structure) in zip(frames, try Self.read(frames.map(\.document))) {
                read[frame.owner].frames.append(structure)
            }
        }
        return read
    }

    /// The structure with each `(from, to)` replaced in text and attribute values: what data `to` must read
    /// as where data `from` was, if it adds no element or attribute.
    func replacing(_ replacements: [(String, String)]) -> HTMLStructure {
        func swap(_ s: String) -> String {
            replacements.reduce(s) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }
        return HTMLStructure(
            tags: tags.map { tag in tag.enumerated().map { k, s in k > 0 && k % 2 == 0 ? swap(s) : s } },
            text: swap(text), frames: frames.map { $0.replacing(replacements) })
    }
}
