import Foundation
import Testing
import TouchpointCore

@testable import Engine

/// Issue 15: what the adapters refuse before sending (Slack's Block Kit limits, an address that is not
/// E.164 or not an email address) is decided by the engine, so a dry-run shows the daemon's reason; and
/// `check` flags template text that already breaks a Block Kit limit.
@Suite("Block Kit limits and address syntax: check warns, the engine holds back")
struct SendabilityTests {
    static let slackConfig = """
        default-timezone: UTC
        quiet-hours: none
        channels:
          chat: { kind: webhook, url: "https://hooks.slack.example/T0/B0", format: slack }
          email: { kind: file, path: outbox }
          sms: { kind: file, path: outbox }

        """

    static let rules = """
        rules:
          - name: promo
            when: { event: Promo }
            send: { template: promo, channels: [chat] }
            transactional: true
          - name: note-sms
            when: { event: Note SMS }
            send: { template: note, channels: [sms] }
            transactional: true
          - name: note-mail
            when: { event: Note Mail }
            send: { template: note, channels: [email] }
            transactional: true
        """

    static let long76 = String(repeating: "L", count: 76)
    static let long80 = String(repeating: "L", count: 80)
    static let path3000 = String(repeating: "p", count: 3000)

    /// A chat template whose button N is on file line N + 2, and whose body starts on line 14. Buttons 1, 6,
    /// 9 and 10 break nothing in their own text: a value decides (inside a section, text may not render).
    static let brokenChat = """
        ---
        buttons:
          - { label: "{{customer.first_name}}", url: "https://shop.example/{{event.properties.id}}" }
          - { label: "", url: "https://shop.example/a" }
          - { label: \(long76), url: "https://shop.example/b" }
          - { label: Open, url: "javascript:alert(1)" }
          - { label: Go, url: "javascript:{{event.properties.x}}" }
          - { label: Shop, url: "{{event.properties.url}}" }
          - { label: "Hi {{customer.first_name}} \(long80)", url: "https://shop.example/c" }
          - { label: Long, url: "https://shop.example/\(path3000)" }
          - { label: "{{event.properties.label}}", url: "ht{{event.properties.rest}}" }
          - { label: "{{#event.properties.vip}}\(long80){{/event.properties.vip}}Shop", url: "https://shop.example/d" }
        ---
        {{customer.first_name}}, \(String(repeating: "é", count: 3001))
        """

    static let templates = [
        "promo/chat.mustache": brokenChat,
        "many/chat.mustache":
            "---\nbuttons:\n"
            + (1...26).map { "  - { label: B\($0), url: \"https://shop.example/\($0)\" }\n" }.joined()
            + "---\nHi",
        "fine/chat.mustache":
            "---\nbuttons:\n  - { label: \(String(repeating: "L", count: 75)), url: \"https://shop.example/\(String(repeating: "p", count: 2979))\" }\n---\n"
            + String(repeating: "é", count: 3000) + "\n\n",
        "note/sms.mustache": "Hi {{event.properties.n}}",
        "note/email.mustache": "---\nsubject: Hi\n---\n<p>Hi {{event.properties.n}}</p>",
        "note/chat.mustache": "Hi {{event.properties.n}}",
    ]

    static func warnings(_ f: Fixture) -> [String] {
        f.project.diagnostics.filter { $0.code == "slack-limit" }.map(\.description)
    }

    @Test(
        "check warns, at the text's line and column, about a button label outside 1–75, a non-http(s) or too long URL, 26 buttons, section text past 3000"
    )
    func checkWarnings() throws {
        let f = Fixture(rules: Self.rules, config: Self.slackConfig, templates: Self.templates)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let own = " in the template's own text, before any value is filled in"
        #expect(
            Self.warnings(f) == [
                "templates/many/chat.mustache:28:14: warning: slack actions block has 26 buttons; Block Kit allows 25",
                "templates/promo/chat.mustache:4:15: warning: slack button 2 has empty text; Block Kit needs 1 to 75 characters",
                "templates/promo/chat.mustache:5:14: warning: slack button 3 text is 76 characters; Block Kit allows 75",
                "templates/promo/chat.mustache:6:26: warning: slack button 4 URL must be http(s), not 'javascript': a script link is refused",
                "templates/promo/chat.mustache:7:24: warning: slack button 5 URL must be http(s), not 'javascript': a script link is refused"
                    + own,
                "templates/promo/chat.mustache:9:15: warning: slack button 7 text is 83 characters; Block Kit allows 75"
                    + own,
                "templates/promo/chat.mustache:10:26: warning: slack button 8 URL is 3021 characters; Block Kit allows 3000",
                "templates/promo/chat.mustache:14:1: warning: slack section text is 3003 characters; Block Kit allows 3000"
                    + own,
            ], "\(f.project.diagnostics)")
        // Not a Slack channel: the same text is nobody's limit.
        let plain = Fixture(
            rules: Self.rules, config: Self.slackConfig.replacingOccurrences(of: ", format: slack", with: ""),
            templates: Self.templates)
        #expect(plain.errors.isEmpty, "\(plain.errors)")
        #expect(Self.warnings(plain) == [])
    }

    static func lines(_ traits: String, _ events: [(String, String)]) -> [String] {
        [Line.identify("u1", at: "2026-11-02T09:00:00Z", traits)]
            + events.enumerated().map { i, e in
                Line.track("u1", e.0, at: "2026-11-02T10:0\(i):00Z", id: "e\(i)", e.1)
            }
    }

    /// The decisions in the daemon's mode (rendered at once) and in the dry-run's (rendering deferred).
    static func bothModes(_ f: Fixture, _ lines: [String]) throws -> [[MessageRecord]] {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("touchpoint-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try [false, true].map { defers in
            var engine = Engine(
                book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
            engine.defersRendering = defers
            var replay = Replay(engine: engine, lateness: f.project.config.lateness)
            var records: [MessageRecord] = []
            try replay.read(file: path, until: nil, emit: { records.append($0) }, reject: { _ in })
            replay.finish(until: nil, emit: { records.append($0) })
            for i in records.indices { records[i].completeRendering(with: f.project.templates) }
            return records
        }
    }

    @Test(
        "data past a Block Kit limit is held back render-error naming the limit, an SMS to a number not in E.164 and an email to a malformed address invalid-address, rendered at once or deferred"
    )
    func heldBack() throws {
        let templates = [
            "promo/chat.mustache":
                "---\nbuttons:\n  - { label: \"{{event.properties.label}}\", url: \"{{event.properties.url}}\" }\n---\n{{event.properties.text}}",
            "note/sms.mustache": "Hi {{event.properties.n}}",
            "note/email.mustache": "---\nsubject: Hi\n---\n<p>Hi {{event.properties.n}}</p>",
        ]
        let f = Fixture(rules: Self.rules, config: Self.slackConfig, templates: templates)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let promo = { (label: String, url: String, text: String) in
            ("Promo", #"{"label":"\#(label)","url":"\#(url)","text":"\#(text)"}"#)
        }
        let events = [
            promo("Open", "javascript:alert(1)", "hi"),
            promo("", "https://shop.example/a", "hi"),
            promo(Self.long76, "https://shop.example/a", "hi"),
            promo("Open", "https://shop.example/" + Self.path3000, "hi"),
            promo("Open", "https://shop.example/a", String(repeating: "x", count: 3001)),
            promo("Open", "https://shop.example/a", "hi"),
            ("Note SMS", #"{"n":1}"#),
            ("Note Mail", #"{"n":2}"#),
        ]
        let lines = Self.lines(
            #"{"chat_id":"C1","phone":"not-a-phone","email":"nobody.example.com"}"#, events)
        for records in try Self.bothModes(f, lines) {
            #expect(records.count == 8, "\(records.map(\.jsonLine))")
            let outcome = records.sorted { $0.dueAt < $1.dueAt }.map {
                "\($0.decision.rawValue) \($0.reason?.rawValue ?? "-"): \($0.detail ?? "-")"
            }
            #expect(
                outcome == [
                    "suppressed render-error: slack button 1 URL must be http(s), not 'javascript': a script link is refused",
                    "suppressed render-error: slack button 1 has empty text; Block Kit needs 1 to 75 characters",
                    "suppressed render-error: slack button 1 text is 76 characters; Block Kit allows 75",
                    "suppressed render-error: slack button 1 URL is 3021 characters; Block Kit allows 3000",
                    "suppressed render-error: slack section text is 3001 characters; Block Kit allows 3000",
                    "send -: -",
                    "suppressed invalid-address: 'not-a-phone' is not an E.164 phone number (+ and up to 15 digits, e.g. +15550100)",
                    "suppressed invalid-address: 'nobody.example.com' is not a usable email address (no @)",
                ])
            let sent = try #require(records.sent.first)
            #expect(sent.content?.buttons.first?.url == "https://shop.example/a")
        }
        // The same messages to good addresses are sent.
        let good = Self.lines(#"{"phone":"+15550100","email":"a@example.com"}"#, Array(events.suffix(2)))
        for records in try Self.bothModes(f, good) {
            #expect(records.map(\.decision) == [.send, .send], "\(records.map(\.jsonLine))")
        }
    }
}
