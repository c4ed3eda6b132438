import Foundation
import Store
import Testing
import TouchpointCore

extension TrackingSuite {
    /// The HTTP side inside `touchpoint run`: what the adapters send points at it, and what it records
    /// comes back through the events folder.
    @Suite("the daemon's HTTP side") struct DaemonHTTP {
        static let rules = """
            rules:
              - name: news
                when: { event: News Wanted }
                send: { template: news, channels: [email] }
              - name: receipt
                when: { event: Order Completed }
                send: { template: receipt, channels: [email] }
                transactional: true
            """
        static let templates = [
            "news/email.mustache": """
            ---
            subject: News for {{customer.first_name}}
            ---
            <html><body><p>Hello {{customer.first_name}}</p>
            <p><a href="{{event.properties.url}}" style="display:inline-block;padding:16px 32px;background:#1f5fbf;color:#fff">See what's new</a></p>
            <p><a id="unsubscribe" href="{{message.unsubscribe_url}}">Unsubscribe</a></p></body></html>

            """,
            "receipt/email.mustache":
                "---\nsubject: Your receipt\n---\n<html><body><p>Thanks</p></body></html>\n",
        ]

        static func identify(_ at: Instant) -> String {
            #"{"type":"identify","userId":"u1","timestamp":"\#(ISO8601.format(at, offsetSeconds: 0))","traits":{"email":"li@example.com","first_name":"Li","locale":"en"}}"#
        }

        static func track(_ event: String, id: String, at: Instant, url: String = "https://shop.example/new")
            -> String
        {
            #"{"type":"track","event":"\#(event)","userId":"u1","messageId":"\#(id)","timestamp":"\#(ISO8601.format(at, offsetSeconds: 0))","properties":{"url":"\#(url)"}}"#
        }

        @Test(
            "SMTP: marketing email carries List-Unsubscribe to /u/ with one-click, transactional none; the one-click POST unsubscribes"
        )
        func listUnsubscribe() async throws {
            let folder = try temporaryFolder("smtp")
            defer { try? FileManager.default.removeItem(at: folder) }
            let record = folder.appendingPathComponent("smtp.jsonl")
            let smtp = try PythonPeer("mini_smtp_peer.py", arguments: [record.path])
            defer { smtp.stop() }
            let daemon = try await DaemonHarness(
                rules: Self.rules, templates: Self.templates,
                settings: "quiet-hours: none\nfrequency-cap: none\n",
                channels:
                    #"  email: { kind: smtp, url: "smtp://127.0.0.1:\#(smtp.port)", from: "Shop <news@shop.example>" }"#,
                clock: nil)
            defer { daemon.remove() }
            let now = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
            try daemon.append([
                Self.identify(now), Self.track("News Wanted", id: "n1", at: now),
                Self.track("Order Completed", id: "o1", at: now),
            ])
            func messages() -> [String] {
                ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["data"]
                        as? String
                }
            }
            #expect(await eventually(within: 30) { messages().count == 2 })
            let news = try #require(messages().first { header("Subject", ofEML: $0) == "News for Li" })
            let receipt = try #require(messages().first { header("Subject", ofEML: $0) == "Your receipt" })
            let listUnsubscribe = try #require(header("List-Unsubscribe", ofEML: news))
            #expect(listUnsubscribe.hasPrefix("<http://127.0.0.1:1/u/") && listUnsubscribe.hasSuffix(">"))
            #expect(header("List-Unsubscribe-Post", ofEML: news) == "List-Unsubscribe=One-Click")
            #expect(header("List-Unsubscribe", ofEML: receipt) == nil)
            #expect(header("List-Unsubscribe-Post", ofEML: receipt) == nil)
            let html = try #require(htmlPart(ofEML: news))
            #expect(html.contains("href=\"http://127.0.0.1:1/c/"), "links are tracked")
            #expect(html.contains("<img src=\"http://127.0.0.1:1/o/"), "the pixel is in")
            #expect(!html.contains("https://shop.example/new"))
            #expect(!(htmlPart(ofEML: receipt) ?? "").contains("/u/"))

            // What a mailbox provider does with RFC 8058: POST the one-click body to the header's URL.
            let url = daemon.local(String(listUnsubscribe.dropFirst().dropLast()))
            let answer = await HTTP.post(
                url, "List-Unsubscribe=One-Click",
                headers: ["Content-Type: application/x-www-form-urlencoded"])
            #expect(answer.status == 200)
            let line = try #require(daemon.recorded().first)
            #expect(line["event"] as? String == "Unsubscribed")
            #expect((line["properties"] as? [String: Any])?["channel"] as? String == "email")
            // The daemon applies it: the next newsletter is held back, the next receipt still goes.
            #expect(await daemon.caughtUp())
            let later = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            try daemon.append([
                Self.track("News Wanted", id: "n2", at: later),
                Self.track("Order Completed", id: "o2", at: later),
            ])
            #expect(await eventually(within: 30) { messages().count == 3 })
            let store = try daemon.openStore()
            #expect(await eventually(within: 30) { (try? await store.status().dropped) == 1 })
            #expect(messages().filter { header("Subject", ofEML: $0) == "News for Li" }.count == 1)

            // The daemon's own numbers on /metrics, accepted by promtool.
            #expect(
                await eventually(within: 30) {
                    await HTTP.get(daemon.base + "/metrics").text.contains(
                        #"touchpoint_sends_total{channel="email",outcome="delivered"} 3"#)
                })
            let metrics = await HTTP.get(daemon.base + "/metrics").text
            #expect(
                metrics.contains(
                    #"touchpoint_decisions_total{rule="news",decision="suppressed",reason="unsubscribed"} 1"#)
            )
            #expect(
                metrics.contains(
                    #"touchpoint_decisions_total{rule="receipt",decision="send",reason="none"} 2"#))
            #expect(metrics.contains("touchpoint_events_applied_total 6"), "\(metrics)")
            #expect(metrics.contains(#"touchpoint_delivery_latency_seconds_count{channel="email"} 3"#))
            #expect(
                metrics.contains(#"touchpoint_tracking_hits_total{kind="unsubscribe",result="recorded"} 1"#))
            #expect(metrics.contains(#"touchpoint_outbox_rows{state="delivered"} 3"#))
            try checkWithPromtool(metrics)
            await daemon.stop()
        }

        @Test(
            "a reload that changes the http block keeps the running one: links in new messages still verify")
        func reloadKeepsHTTP() async throws {
            let daemon = try await DaemonHarness(
                rules: Self.rules, templates: Self.templates,
                settings: "quiet-hours: none\nfrequency-cap: none\n",
                channels: "  email: { kind: file, path: outbox }", clock: nil, reloadCheckMilliseconds: 50)
            defer { daemon.remove() }
            // Another secret in the config, and a changed template to see that the reload happened.
            try DaemonHarness.configText(
                settings: "quiet-hours: none\nfrequency-cap: none\n",
                channels: "  email: { kind: file, path: outbox }",
                publicURL: "http://127.0.0.1:1", secret: "a-completely-different-secret-42"
            ).write(to: daemon.config, atomically: true, encoding: .utf8)
            let template = daemon.root.appendingPathComponent("templates/receipt/email.mustache")
            try "---\nsubject: Your receipt, reloaded\n---\n<html><body><p>Thanks</p></body></html>\n"
                .write(to: template, atomically: true, encoding: .utf8)
            // Wait for the reload: a receipt sent after it has the new subject.
            var eml: String?
            var n = 0
            let deadline = Date().addingTimeInterval(30)
            while eml == nil, Date() < deadline {
                n += 1
                let now = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
                try daemon.append([Self.identify(now), Self.track("Order Completed", id: "o\(n)", at: now)])
                let id = StableID.message(rule: "receipt", customer: "u1", trigger: "o\(n)")
                let file = daemon.outbox.appendingPathComponent(id + ".eml")
                _ = await eventually(within: 5) { FileManager.default.fileExists(atPath: file.path) }
                if let text = try? String(contentsOf: file, encoding: .utf8),
                    header("Subject", ofEML: text) == "Your receipt, reloaded"
                {
                    eml = text
                }
            }
            let reloaded = try #require(eml, "the reload never happened")
            let html = try #require(htmlPart(ofEML: reloaded))
            let pixel = try #require(firstURL(in: html, containing: "/o/"))
            #expect(await HTTP.get(daemon.local(pixel)).status == 200)
            #expect(daemon.recorded().contains { $0["event"] as? String == "Message Opened" })
            await daemon.stop()
        }
    }
}

extension TrackingSuite {
    /// A real browser on a rendered email and on the unsubscribe page.
    @Suite("in headless Chromium") struct Browser {
        /// Runs Tests/Peers/cdp_click.py; `nil` (with the reason printed) when Chromium cannot run here.
        static func click(_ url: String, _ selectors: [String]) throws -> [[String: Any]]? {
            guard let python = Paths.which("python3") else {
                print("skipped: python3 not found")
                return nil
            }
            let log = FileManager.default.temporaryDirectory.appendingPathComponent(
                "cdp-\(UUID().uuidString).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let (status, output) = try run(
                python, [Paths.peers.appendingPathComponent("cdp_click.py").path, url] + selectors,
                stderr: log)
            if status == 3 {
                print(output.trimmingCharacters(in: .whitespacesAndNewlines))
                return nil
            }
            guard status == 0 else {
                throw TestFailure(
                    "cdp_click.py exited \(status): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            return output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        @Test(
            "click the button of an email rendered by dry-run: land on the page, Message Clicked recorded; unsubscribe on the page: a later dry-run holds the next newsletter back"
        )
        func clickAndUnsubscribe() async throws {
            let binary = try Paths.requireBinary()
            let site = try temporaryFolder("site")
            defer { try? FileManager.default.removeItem(at: site) }
            try
                "<!doctype html><html><head><title>New arrivals</title></head><body><h1>New arrivals</h1></body></html>"
                .write(to: site.appendingPathComponent("new.html"), atomically: true, encoding: .utf8)
            let landing = try PythonPeer("static_peer.py", arguments: [site.path])
            defer { landing.stop() }
            let target = "http://127.0.0.1:\(landing.port)/new.html"

            let daemon = try await DaemonHarness(
                rules: DaemonHTTP.rules, templates: DaemonHTTP.templates,
                settings: "quiet-hours: none\nfrequency-cap: none\n",
                channels: "  email: { kind: file, path: outbox }",
                clock: nil)
            defer { daemon.remove() }
            let start = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000)
            try daemon.append([
                DaemonHTTP.identify(start), DaemonHTTP.track("News Wanted", id: "n1", at: start, url: target),
            ])
            // The dry-run renders with the daemon's address as the public URL (tokens do not depend on it).
            let dryConfig = daemon.root.appendingPathComponent("dry.yaml")
            try DaemonHarness.configText(
                settings: "quiet-hours: none\nfrequency-cap: none\n",
                channels: "  email: { kind: file, path: outbox }",
                publicURL: daemon.base
            ).write(to: dryConfig, atomically: true, encoding: .utf8)
            let shop = daemon.events.appendingPathComponent("shop.jsonl").path
            let first = try run(binary, ["dry-run", "--config", dryConfig.path, "--format", "json", shop])
            #expect(first.status == 0)
            let decision = try #require(
                first.output.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first)
            let html = try #require((decision["content"] as? [String: Any])?["html"] as? String)
            #expect(html.contains(daemon.base + "/c/"))
            let email = daemon.root.appendingPathComponent("email.html")
            try html.write(to: email, atomically: true, encoding: .utf8)

            // Click the button like a person.
            guard let clicked = try Self.click(email.absoluteString, ["a[style]"]) else {
                await daemon.stop()
                return
            }
            #expect(clicked.first?["url"] as? String == target)
            #expect(clicked.first?["title"] as? String == "New arrivals")
            let click = try #require(daemon.recorded().first { $0["event"] as? String == "Message Clicked" })
            #expect(click["userId"] as? String == "u1")
            #expect((click["properties"] as? [String: Any])?["url"] as? String == target)

            // Open the email's unsubscribe link and submit the page's form.
            let unsubscribe = try #require(firstURL(in: html, containing: "/u/"))
            let page = try #require(
                try Self.click(email.absoluteString, ["#unsubscribe", "button[value=channel]"]))
            #expect(page.first?["url"] as? String == unsubscribe)
            #expect((page.first?["text"] as? String)?.contains("Unsubscribe from emails") == true)
            #expect((page.last?["text"] as? String)?.contains("You are unsubscribed") == true)
            let unsubscribed = try #require(
                daemon.recorded().first { $0["event"] as? String == "Unsubscribed" })
            #expect((unsubscribed["properties"] as? [String: Any])?["channel"] as? String == "email")
            await daemon.stop()

            // A later newsletter, replayed with what the HTTP side recorded: held back as unsubscribed.
            let later = daemon.events.appendingPathComponent("later.jsonl")
            try
                (DaemonHTTP.track(
                    "News Wanted", id: "n2", at: Instant(milliseconds: start.milliseconds + 7_200_000),
                    url: target) + "\n")
                .write(to: later, atomically: true, encoding: .utf8)
            let second = try run(
                binary,
                ["dry-run", "--config", dryConfig.path, "--format", "json", "--show-suppressed", shop]
                    + daemon.recordedFiles() + [later.path])
            #expect(second.status == 0)
            let decisions = second.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(decisions.map { $0["decision"] as? String } == ["send", "suppressed"])
            #expect(decisions.last?["reason"] as? String == "unsubscribed")
        }
    }
}
