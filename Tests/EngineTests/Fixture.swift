import Engine
import Foundation
import Rules
import Templates
import TouchpointCore

/// A project built from strings, and a replay helper, for engine tests.
struct Fixture {
    var project: Project

    static let defaultTemplates: [String: String] = [
        "cart/email.mustache":
            "---\nsubject: Your cart, {{customer.first_name}}\n---\n<p>Back to {{event.properties.cart_url}}</p>",
        "cart/sms.mustache": "{{customer.first_name}}, your cart: {{event.properties.cart_url}}",
        "cart/sms.zh-CN.mustache": "{{customer.first_name}}，您的购物车还在等您 {{event.properties.cart_url}}",
        "cart/chat.mustache": "Your cart is waiting",
        "hello/email.mustache": "---\nsubject: Hello\n---\n<p>Hello {{customer.first_name}}</p>",
        "hello/sms.mustache": "Hello {{customer.first_name}}",
        "plain/email.mustache": "---\nsubject: News\n---\n<p>News for you</p>",
        "plain/sms.mustache": "News for you",
        "plain/chat.mustache": "News for you",
    ]

    init(
        rules: String, config: String = "default-timezone: Asia/Shanghai\n",
        templates: [String: String] = Fixture.defaultTemplates
    ) {
        let (cfg, configDiagnostics) = Config.parse(yaml: config, path: "touchpoint.yaml")
        let (ruleSet, ruleDiagnostics) = RuleSet.parse(yaml: rules, file: "rules/test.yaml")
        let (set, templateDiagnostics) = TemplateSet.load(sources: templates)
        project = Project.assemble(
            config: cfg, ruleSet: ruleSet, templates: set,
            diagnostics: configDiagnostics + ruleDiagnostics + templateDiagnostics)
    }

    var errors: [Diagnostic] { project.diagnostics.filter { $0.severity == .error } }

    /// Replays JSON lines (one string each) and returns every decision, sent and suppressed.
    func run(_ lines: [String], until: String? = nil, explain: String? = nil) throws -> [MessageRecord] {
        try replay(lines, until: until, explain: explain).records
    }

    /// Replays JSON lines and returns the decisions and the replay (for its engine, stats and rejections).
    func replay(
        _ lines: [String], until: String? = nil, explain: String? = nil
    ) throws -> (records: [MessageRecord], replay: Replay) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("touchpoint-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let engine = Engine(
            book: project.book, templates: project.templates,
            settings: project.engineSettings(explain: explain))
        var replay = Replay(engine: engine, lateness: project.config.lateness)
        var records: [MessageRecord] = []
        let stop = until.flatMap { ISO8601.parse($0)?.instant }
        try replay.read(file: path, until: stop, emit: { records.append($0) }, reject: { _ in })
        replay.finish(until: stop, emit: { records.append($0) })
        return (records, replay)
    }
}

/// Builders for event lines.
enum Line {
    static func identify(_ user: String, at time: String, _ traits: String) -> String {
        #"{"type":"identify","userId":"\#(user)","timestamp":"\#(time)","traits":\#(traits)}"#
    }

    static func track(
        _ user: String, _ event: String, at time: String, id: String? = nil, _ properties: String = "{}"
    ) -> String {
        let mid = id.map { #","messageId":"\#($0)""# } ?? ""
        return
            #"{"type":"track","event":"\#(event)","userId":"\#(user)"\#(mid),"timestamp":"\#(time)","properties":\#(properties)}"#
    }
}

extension Array where Element == MessageRecord {
    var sent: [MessageRecord] { filter { $0.decision == .send } }
    var held: [MessageRecord] { filter { $0.decision == .suppressed } }
}
