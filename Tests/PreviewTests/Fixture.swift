import Engine
import Foundation
import Rules
import Templates
import TouchpointCore

/// A project built from strings, replayed through the public Engine path: `MessageRecord`'s
/// initializer is internal to Engine, so tests get records the way the CLI does.
struct Fixture {
    var project: Project

    init(rules: String, config: String = "default-timezone: Asia/Shanghai\n", templates: [String: String]) {
        let (cfg, configDiagnostics) = Config.parse(yaml: config, path: "touchpoint.yaml")
        let (ruleSet, ruleDiagnostics) = RuleSet.parse(yaml: rules, file: "rules/test.yaml")
        let (set, templateDiagnostics) = TemplateSet.load(sources: templates)
        project = Project.assemble(
            config: cfg, ruleSet: ruleSet, templates: set,
            diagnostics: configDiagnostics + ruleDiagnostics + templateDiagnostics)
    }

    /// A project loaded from a config file, as `touchpoint dry-run --config` does.
    init(configPath: String) {
        project = Project.load(configPath: configPath, environment: [:])
    }

    var errors: [Diagnostic] { project.diagnostics.filter { $0.severity == .error } }

    /// Replays JSON lines (one string each) and returns every decision, sent and suppressed.
    func run(_ lines: [String]) throws -> [MessageRecord] {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("touchpoint-preview-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try run(file: path)
    }

    /// Replays one events file and returns every decision.
    func run(file path: String) throws -> [MessageRecord] {
        let engine = Engine(
            book: project.book, templates: project.templates, settings: project.engineSettings())
        var replay = Replay(engine: engine, lateness: project.config.lateness)
        var records: [MessageRecord] = []
        try replay.read(file: path, emit: { records.append($0) }, reject: { _ in })
        replay.finish(until: nil, emit: { records.append($0) })
        return records
    }
}

/// Builders for event lines; values are JSON-escaped so hostile ids stay valid JSON.
enum Line {
    static func identify(_ user: String, at time: String, _ traits: String) -> String {
        #"{"type":"identify","userId":\#(quoted(user)),"timestamp":"\#(time)","traits":\#(traits)}"#
    }

    static func track(_ user: String, _ event: String, at time: String, _ properties: String = "{}") -> String
    {
        #"{"type":"track","event":"\#(event)","userId":\#(quoted(user)),"timestamp":"\#(time)","properties":\#(properties)}"#
    }

    private static func quoted(_ s: String) -> String {
        var out = ""
        JSONValue.writeQuoted(s, to: &out)
        return out
    }
}

/// The shared story: one rule on three channels, customers reachable on one channel each.
enum Story {
    static let rules = """
        rules:
          - name: cart-abandoned
            when: { event: Product Added }
            wait: 1h
            unless: [Order Completed]
            send: { template: cart, channels: [email, sms, chat] }
            limit: { once-per: 7d }
          - name: thank-you
            when: { event: Order Completed }
            send: { template: thanks, channels: [email] }
        """

    static let hostileHTML =
        #"<p title="Tom &amp; Jerry">Fish &amp; chips for "{{customer.first_name}}"</p>"#
        + #"<img src="https://shop.example/img/1.jpg" alt="">"#

    static let templates: [String: String] = [
        "cart/email.mustache": """
        ---
        subject: "Your cart, {{customer.first_name}}"
        preheader: "Saved for you"
        ---
        <!doctype html><html><head><meta charset="utf-8"></head><body>\(hostileHTML)</body></html>
        """,
        "cart/sms.mustache": "{{customer.first_name}}, your cart is waiting: https://shop.example/c",
        "cart/sms.zh-CN.mustache": "{{customer.first_name}}，您的购物车还在等您 https://shop.example/c",
        "cart/chat.mustache": """
        ---
        buttons:
          - { label: "View cart", url: "https://shop.example/cart" }
          - { label: "Sneaky", url: "javascript:alert(2)" }
        ---
        Your cart is waiting, {{customer.first_name}}.
        """,
        "thanks/email.mustache": "---\nsubject: Thanks\n---\n<p>Thanks, {{customer.first_name}}</p>",
    ]

    static let hostileCustomer = "<script>alert(1)</script>"

    /// Sends on 11-02 (email, sms, chat) and 11-04 (email), nothing on 11-03; one cancelled
    /// reminder and one held back by the rule limit.
    static let lines: [String] = [
        Line.identify(
            "u-mail", at: "2026-11-01T09:00:00+08:00",
            #"{"email":"m@example.com","first_name":"Mia","locale":"en"}"#),
        Line.identify(
            "u-sms", at: "2026-11-01T09:00:00+08:00",
            #"{"phone":"+8613800138000","first_name":"雷","locale":"zh-CN"}"#),
        Line.identify("u-chat", at: "2026-11-01T09:00:00+08:00", #"{"chat_id":"c-1","first_name":"Sam"}"#),
        Line.identify(
            hostileCustomer, at: "2026-11-01T09:00:00+08:00",
            #"{"email":"x@example.com","first_name":"<b>X</b>"}"#),
        Line.track("u-mail", "Product Added", at: "2026-11-02T10:00:00+08:00"),
        Line.track("u-sms", "Product Added", at: "2026-11-02T10:00:00+08:00"),
        Line.track("u-chat", "Product Added", at: "2026-11-02T10:00:00+08:00"),
        Line.track("u-mail", "Product Added", at: "2026-11-04T10:00:00+08:00"),
        Line.track(hostileCustomer, "Product Added", at: "2026-11-04T10:00:00+08:00"),
        Line.track(hostileCustomer, "Order Completed", at: "2026-11-04T10:20:00+08:00"),
    ]

    static func records() throws -> [MessageRecord] {
        let fixture = Fixture(rules: rules, templates: templates)
        guard fixture.errors.isEmpty else { throw StoryError.invalid(fixture.errors.map(\.description)) }
        return try fixture.run(lines)
    }

    enum StoryError: Error { case invalid([String]) }
}
