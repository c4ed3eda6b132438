import Foundation
import TouchpointCore
import Yams

/// Reads rule test files (`rules/tests/*.yaml`).
public enum RuleTestFile {
    static let testKeys = ["name", "start", "customers", "events", "until", "rules", "expect"]
    static let eventKeys = ["at", "customer", "event", "identify", "properties", "message_id", "messageId"]
    static let expectKeys = [
        "rule", "customer", "channel", "send_at", "decision", "reason", "text", "fallback",
    ]

    /// The test files in `directory` (`*.yaml` / `*.yml`, not recursive), sorted by name.
    public static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }.sorted()
            .map { prefix + $0 }
    }

    /// The tests in the file at `path`; a test with errors is left out and reported.
    public static func load(path: String) -> ([RuleTest], [Diagnostic]) {
        do {
            return read(try YAMLSource(path: path))
        } catch {
            return ([], error.diagnostics)
        }
    }

    /// The tests in `yaml`, named `file` in diagnostics.
    public static func parse(yaml: String, file: String) -> ([RuleTest], [Diagnostic]) {
        do {
            return read(try YAMLSource(text: yaml, file: file))
        } catch {
            return ([], error.diagnostics)
        }
    }

    private static func read(_ source: YAMLSource) -> ([RuleTest], [Diagnostic]) {
        var r = YAMLReader(source: source)
        guard let root = source.root, root.tagName != .null else { return ([], []) }
        guard let top = r.mapping(root, name: "test file", context: "a test file", keys: ["tests"]),
            let list = r.require(top, "tests")
        else { return ([], r.diagnostics) }
        if list.tagName == .null { return ([], r.diagnostics) }
        guard let items = r.sequence(list, name: "tests") else { return ([], r.diagnostics) }
        var tests: [RuleTest] = []
        for item in items {
            let before = r.errorCount
            if let test = readTest(item, &r), r.errorCount == before { tests.append(test) }
        }
        return (tests, r.diagnostics)
    }

    private static func timeRef(_ node: Node, name: String, _ r: inout YAMLReader) -> TimeRef? {
        guard let s = r.string(node, name: name) else { return nil }
        guard let ref = TimeRef(parsing: s.value.trimmingCharacters(in: .whitespaces)) else {
            r.error(
                "bad-time",
                "'\(name)' must be a time like +1h or +0m (relative to start) or 2026-11-02T10:00:00+08:00, found '\(s.value)'",
                at: s.location)
            return nil
        }
        return ref
    }

    private static func traits(_ node: Node, name: String, _ r: inout YAMLReader) -> [String: JSONValue]? {
        if node.tagName == .null { return [:] }
        guard case .mapping = node else {
            r.wrongType(node, name: name, expected: "a mapping")
            return nil
        }
        return r.json(node).objectValue ?? [:]
    }

    private static func readTest(_ node: Node, _ r: inout YAMLReader) -> RuleTest? {
        guard let fields = r.mapping(node, name: "test", keys: testKeys) else { return nil }
        let name = r.require(fields, "name").flatMap { r.name($0, name: "name") }
        var start: Timestamp?
        if let n = r.require(fields, "start"), let s = r.string(n, name: "start") {
            start = ISO8601.parse(s.value)
            if start == nil {
                r.error(
                    "bad-time",
                    "'start' must be an ISO 8601 time with offset like 2026-11-02T10:00:00+08:00, found '\(s.value)'",
                    at: s.location)
            }
        }
        var customers: [TestCustomer] = []
        if let n = fields["customers"], n.tagName != .null {
            if case .mapping(let mapping) = n {
                for (key, value) in mapping {
                    guard let id = r.name(key, name: "customer id"),
                        let t = traits(value, name: "customer '\(id.value)'", &r)
                    else { continue }
                    customers.append(TestCustomer(id: id, traits: t))
                }
            } else {
                r.wrongType(n, name: "customers", expected: "a mapping of customer id to traits")
            }
        }
        var events: [TestEvent] = []
        if let n = fields["events"], n.tagName != .null, let items = r.sequence(n, name: "events") {
            for item in items {
                if let e = readEvent(item, &r) { events.append(e) }
            }
        }
        let until = fields["until"].flatMap { timeRef($0, name: "until", &r) }
        var rules: [Located<String>]?
        if let n = fields["rules"], let items = r.sequence(n, name: "rules") {
            rules = items.compactMap { r.name($0, name: "rules") }
        }
        var expect: [Expectation] = []
        if let n = r.require(fields, "expect"), n.tagName != .null, let items = r.sequence(n, name: "expect")
        {
            for item in items {
                if let e = readExpectation(item, &r) { expect.append(e) }
            }
        }
        guard let name, let start else { return nil }
        return RuleTest(
            name: name, start: start, customers: customers, events: events, until: until, rules: rules,
            expect: expect, location: fields.location)
    }

    private static func readEvent(_ node: Node, _ r: inout YAMLReader) -> TestEvent? {
        guard let fields = r.mapping(node, name: "event entry", context: "events", keys: eventKeys) else {
            return nil
        }
        let at = r.require(fields, "at").flatMap { timeRef($0, name: "at", &r) }
        let customer = r.require(fields, "customer").flatMap { r.name($0, name: "customer") }
        var name: Located<String>?
        var identify: [String: JSONValue]?
        switch (fields["event"], fields["identify"]) {
        case (.some, .some):
            r.error(
                "conflicting-keys", "an event entry takes either 'event' or 'identify', not both",
                at: fields.keyLocation("identify") ?? fields.location)
            return nil
        case (nil, nil):
            r.error(
                "missing-key", "an event entry needs 'event' (a track) or 'identify' (traits)",
                at: fields.location)
            return nil
        case (let e?, nil):
            name = r.name(e, name: "event")
            if name == nil { return nil }
        case (nil, let i?):
            identify = traits(i, name: "identify", &r)
            if identify == nil { return nil }
            if fields.has("properties") {
                r.error(
                    "conflicting-keys", "'properties' belong to a track event; an identify takes traits only",
                    at: fields.keyLocation("properties") ?? fields.location)
                return nil
            }
        }
        let properties = fields["properties"].flatMap { traits($0, name: "properties", &r) } ?? [:]
        let idNode = fields["message_id"] ?? fields["messageId"]
        let messageId = idNode.flatMap { r.name($0, name: "message_id")?.value }
        guard let at, let customer else { return nil }
        return TestEvent(
            at: at, customer: customer, name: name, identify: identify, properties: properties,
            messageId: messageId,
            location: fields.location)
    }

    private static func readExpectation(_ node: Node, _ r: inout YAMLReader) -> Expectation? {
        guard let fields = r.mapping(node, name: "expect entry", context: "expect", keys: expectKeys) else {
            return nil
        }
        let rule = fields["rule"].flatMap { r.name($0, name: "rule") }
        let customer = fields["customer"].flatMap { r.name($0, name: "customer")?.value }
        var channel: Channel?
        if let n = fields["channel"], let s = r.name(n, name: "channel") {
            channel = Channel(rawValue: s.value)
            if channel == nil {
                let hint = Suggest.didYouMean(s.value, in: Channel.allCases.map(\.rawValue))
                r.error(
                    "unknown-channel",
                    "unknown channel '\(s.value)'\(hint.isEmpty ? "; channels are email, sms and chat" : hint)",
                    at: s.location)
            }
        }
        let sendAt = fields["send_at"].flatMap { timeRef($0, name: "send_at", &r) }
        var decision: Expectation.Decision?
        if let n = fields["decision"], let s = r.name(n, name: "decision") {
            decision = Expectation.Decision(rawValue: s.value)
            if decision == nil {
                r.error(
                    "bad-value",
                    "'decision' must be send or suppressed, found '\(s.value)'"
                        + Suggest.didYouMean(s.value, in: Expectation.Decision.allCases.map(\.rawValue)),
                    at: s.location)
            }
        }
        var reason: SuppressionReason?
        if let n = fields["reason"], let s = r.name(n, name: "reason") {
            reason = SuppressionReason(rawValue: s.value)
            if reason == nil {
                let known = SuppressionReason.allCases.map(\.rawValue)
                let hint = Suggest.didYouMean(s.value, in: known)
                r.error(
                    "bad-value",
                    "unknown reason '\(s.value)'"
                        + (hint.isEmpty ? "; reasons are \(known.joined(separator: ", "))" : hint),
                    at: s.location)
            }
            if decision == .send {
                r.error(
                    "conflicting-keys", "a 'reason' goes with decision 'suppressed', not 'send'",
                    at: fields.keyLocation("reason") ?? fields.location)
            }
        }
        let text = fields["text"].flatMap { r.string($0, name: "text")?.value }
        var e = Expectation(
            rule: rule, customer: customer, channel: channel, sendAt: sendAt,
            decision: decision ?? (reason != nil ? .suppressed : .send), reason: reason, text: text,
            location: fields.location)
        e.fallback = fields["fallback"].flatMap { r.bool($0, name: "fallback") }
        return e
    }
}
