import Foundation
import TouchpointCore
import Yams

extension RuleSet {
    /// Loads every `*.yaml` / `*.yml` file under `directory` and its subfolders except `tests/`, in path
    /// order. A rule with errors is left out and reported; the other rules still load.
    public static func load(directory: String) -> (RuleSet, [Diagnostic]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            return (
                RuleSet(),
                [.error("missing-directory", "rules folder '\(directory)' does not exist", at: nil)]
            )
        }
        return load(files: ruleFiles(in: directory))
    }

    /// The rule files under `directory`, skipping its `tests/` folder and hidden entries, sorted by path.
    public static func ruleFiles(in directory: String) -> [String] {
        let base = URL(fileURLWithPath: directory)
        guard
            let enumerator = FileManager.default.enumerator(
                at: base, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        else { return [] }
        var relative: [String] = []
        let basePath = base.standardizedFileURL.path
        for case let url as URL in enumerator {
            var path = url.standardizedFileURL.path
            if path.hasPrefix(basePath) { path = String(path.dropFirst(basePath.count)) }
            while path.hasPrefix("/") { path.removeFirst() }
            let isDir = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            if isDir {
                if path == "tests" { enumerator.skipDescendants() }
                continue
            }
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { relative.append(path) }
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return relative.sorted().map { prefix + $0 }
    }

    /// Loads the rule files at `paths`, in the order given; names are unique across all of them.
    public static func load(files paths: [String]) -> (RuleSet, [Diagnostic]) {
        var loader = RuleLoader()
        for path in paths {
            do {
                loader.add(try YAMLSource(path: path))
            } catch {
                loader.diagnostics += error.diagnostics
            }
        }
        var set = RuleSet(rules: loader.rules)
        set.declaredEvents = loader.declaredEvents
        return (set, loader.diagnostics)
    }

    /// Parses rule files given as text, in order; `file` names each in diagnostics.
    public static func parse(_ sources: [(file: String, yaml: String)]) -> (RuleSet, [Diagnostic]) {
        var loader = RuleLoader()
        for (file, yaml) in sources {
            do {
                loader.add(try YAMLSource(text: yaml, file: file))
            } catch {
                loader.diagnostics += error.diagnostics
            }
        }
        var set = RuleSet(rules: loader.rules)
        set.declaredEvents = loader.declaredEvents
        return (set, loader.diagnostics)
    }

    /// Parses one rule file given as text.
    public static func parse(yaml: String, file: String) -> (RuleSet, [Diagnostic]) {
        parse([(file: file, yaml: yaml)])
    }
}

/// Builds rules file by file, remembering names across files so a repeat is caught.
struct RuleLoader {
    var rules: [Rule] = []
    /// Event names a rule file declares (`events: [Order Completed, …]`), for `check`'s spelling warnings.
    var declaredEvents: [String] = []
    var diagnostics: [Diagnostic] = []
    private var firstDefinition: [String: SourceLocation] = [:]

    static let ruleKeys = [
        "name", "description", "when", "wait", "unless", "restart", "send", "limit", "priority",
        "transactional",
    ]
    static let whenKeys = ["event", "if", "inactive"]
    static let sendKeys = ["template", "channels", "within", "urgency", "tracking"]
    static let limitKeys = ["once-per"]
    static let unlessKeys = ["event", "if", "same"]

    /// Where a key that is unknown at rule level belongs: the usual misindentation.
    static let ruleLevelPlacement: [String: String] = {
        var map: [String: String] = [:]
        for k in whenKeys { map[k] = "under 'when'" }
        for k in sendKeys { map[k] = "under 'send'" }
        for k in limitKeys { map[k] = "under 'limit'" }
        map["same"] = "in an 'unless' entry"
        return map
    }()

    /// Where a rule-level key found inside a nested mapping belongs.
    static func nestedPlacement(excluding own: [String]) -> [String: String] {
        var map: [String: String] = [:]
        for k in ruleKeys { map[k] = "to the rule itself" }
        for (k, v) in ruleLevelPlacement where !own.contains(k) { map[k] = v }
        for k in own { map.removeValue(forKey: k) }
        return map
    }

    mutating func add(_ source: YAMLSource) {
        var reader = YAMLReader(source: source)
        defer { diagnostics += reader.diagnostics }
        guard let root = source.root, root.tagName != .null else { return }
        if case .sequence = root {
            reader.error(
                "wrong-type", "a rule file lists its rules under a top-level 'rules:' key, found a bare list",
                at: reader.location(of: root))
            return
        }
        guard
            let top = reader.mapping(
                root, name: "rule file", context: "a rule file", keys: ["rules", "events"])
        else {
            return
        }
        if let n = top["events"] { declaredEvents += reader.names(n, name: "events") }
        guard let list = reader.require(top, "rules") else { return }
        if list.tagName == .null { return }
        guard let items = reader.sequence(list, name: "rules") else { return }
        for item in items {
            let before = reader.errorCount
            let rule = readRule(item, &reader)
            if let rule, reader.errorCount == before {
                rules.append(rule)
            }
        }
    }

    private mutating func readRule(_ node: Node, _ r: inout YAMLReader) -> Rule? {
        guard
            let fields = r.mapping(
                node, name: "rule", context: "rule", keys: RuleLoader.ruleKeys,
                placement: RuleLoader.ruleLevelPlacement)
        else { return nil }

        var name: Located<String>?
        if let n = r.require(fields, "name"), let s = r.name(n, name: "name") {
            if let first = firstDefinition[s.value] {
                r.error(
                    "duplicate-rule", "duplicate rule name '\(s.value)'; it is first defined at \(first)",
                    at: s.location)
            } else {
                firstDefinition[s.value] = s.location
            }
            name = s
        }
        let description = fields["description"].flatMap { r.string($0, name: "description")?.value }
        let trigger = r.require(fields, "when").flatMap { readWhen($0, &r) }
        let wait = fields["wait"].map { r.duration($0, name: "wait") ?? .zero } ?? .zero
        let unless = fields["unless"].map { readUnless($0, &r) } ?? []
        let restart = fields["restart"].map { r.bool($0, name: "restart") ?? true } ?? true
        let send = r.require(fields, "send").flatMap { readSend($0, &r) }
        var oncePer: TimeSpan?
        if let limitNode = fields["limit"],
            let limit = r.mapping(
                limitNode, name: "limit", keys: RuleLoader.limitKeys,
                placement: RuleLoader.nestedPlacement(excluding: RuleLoader.limitKeys)),
            let once = r.require(limit, "once-per")
        {
            oncePer = r.duration(once, name: "once-per")
        }
        let priority = fields["priority"].map { r.int($0, name: "priority") ?? 0 } ?? 0
        let transactional =
            fields["transactional"].map { r.bool($0, name: "transactional") ?? false } ?? false

        guard let name, let trigger, let send else { return nil }
        return Rule(
            name: name, description: description, trigger: trigger, wait: wait, unless: unless,
            restart: restart,
            send: send, oncePer: oncePer, priority: priority, transactional: transactional,
            location: fields.location)
    }

    private func readExpression(_ node: Node, _ r: inout YAMLReader) -> Located<String>? {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            r.wrongType(node, name: "if", expected: "an expression")
            return nil
        }
        let text = r.located(scalar)
        if text.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            r.error("empty-value", "'if' must not be empty", at: text.location)
            return nil
        }
        return text
    }

    private func readWhen(_ node: Node, _ r: inout YAMLReader) -> Trigger? {
        guard
            let when = r.mapping(
                node, name: "when", keys: RuleLoader.whenKeys,
                placement: RuleLoader.nestedPlacement(excluding: RuleLoader.whenKeys))
        else { return nil }
        switch (when["event"], when["inactive"]) {
        case (.some, .some):
            r.error(
                "conflicting-keys", "'when' takes either 'event' or 'inactive', not both",
                at: when.keyLocation("inactive") ?? when.location)
            return nil
        case (nil, nil):
            if when["if"] != nil {
                r.error(
                    "missing-key", "missing required key 'event' in when ('if' needs an event)",
                    at: when.location)
            } else {
                r.error("missing-key", "'when' needs 'event' or 'inactive'", at: when.location)
            }
            return nil
        case (let event?, nil):
            let name = r.name(event, name: "event")
            let condition = when["if"].flatMap { readExpression($0, &r) }
            guard let name else { return nil }
            return .event(name: name, condition: condition)
        case (nil, let inactive?):
            if when["if"] != nil {
                r.error(
                    "conflicting-keys", "'if' applies only to 'event' triggers, not 'inactive'",
                    at: when.keyLocation("if") ?? when.location)
                return nil
            }
            guard let span = r.duration(inactive, name: "inactive") else { return nil }
            if span.seconds <= 0 {
                r.error("bad-duration", "'inactive' must be longer than 0", at: r.location(of: inactive))
                return nil
            }
            return .inactive(span)
        }
    }

    /// `unless` is a list; a lone name or mapping is taken as a list of one.
    private func readUnless(_ node: Node, _ r: inout YAMLReader) -> [CancelCondition] {
        let items: [Node]
        switch node {
        case .sequence(let s): items = Array(s)
        case .scalar where node.tagName == .null: items = []
        default: items = [node]
        }
        var out: [CancelCondition] = []
        for item in items {
            if case .mapping = item {
                guard
                    let fields = r.mapping(
                        item, name: "unless entry", context: "unless",
                        keys: RuleLoader.unlessKeys,
                        placement: RuleLoader.nestedPlacement(excluding: RuleLoader.unlessKeys))
                else { continue }
                let event = r.require(fields, "event").flatMap { r.name($0, name: "event") }
                let condition = fields["if"].flatMap { readExpression($0, &r) }
                var same: [Located<String>] = []
                if let sameNode = fields["same"] {
                    let names: [Node]
                    if case .sequence(let s) = sameNode { names = Array(s) } else { names = [sameNode] }
                    if names.isEmpty {
                        r.error(
                            "empty-list", "'same' must list at least one property",
                            at: r.location(of: sameNode))
                    }
                    for n in names {
                        if let s = r.name(n, name: "same") { same.append(s) }
                    }
                }
                if let event { out.append(CancelCondition(event: event, condition: condition, same: same)) }
            } else if let name = r.name(item, name: "unless") {
                out.append(CancelCondition(event: name))
            }
        }
        return out
    }

    private func readSend(_ node: Node, _ r: inout YAMLReader) -> SendSpec? {
        guard
            let send = r.mapping(
                node, name: "send", keys: RuleLoader.sendKeys,
                placement: RuleLoader.nestedPlacement(excluding: RuleLoader.sendKeys))
        else { return nil }
        let template = r.require(send, "template").flatMap { r.name($0, name: "template") }
        let channels = r.require(send, "channels").flatMap { readChannels($0, &r) }
        let within = send["within"].map { r.duration($0, name: "within") ?? .zero } ?? .zero
        var urgency: Located<TimeSpan>? = nil
        if let node = send["urgency"], let span = r.duration(node, name: "urgency") {
            if span.seconds <= 0 {
                r.error(
                    "bad-duration",
                    "'urgency' must be longer than 0: it is how long after due a send is worth half; "
                        + "leave it out to let the scheduler wait for the best hour in the window",
                    at: r.location(of: node))
            } else {
                urgency = Located(span, at: r.location(of: node))
            }
        }
        let tracking = send["tracking"].map { r.bool($0, name: "tracking") ?? true } ?? true
        guard let template, let channels else { return nil }
        var spec = SendSpec(template: template, channels: channels, within: within, urgency: urgency)
        spec.tracking = tracking
        return spec
    }

    private func readChannels(_ node: Node, _ r: inout YAMLReader) -> [Located<Channel>]? {
        guard let items = r.sequence(node, name: "channels") else { return nil }
        if items.isEmpty {
            r.error("empty-list", "'channels' must list at least one channel", at: r.location(of: node))
            return nil
        }
        var out: [Located<Channel>] = []
        var ok = true
        for item in items {
            guard let name = r.name(item, name: "channel") else {
                ok = false
                continue
            }
            guard let channel = Channel(rawValue: name.value) else {
                let known = Channel.allCases.map(\.rawValue)
                let hint = Suggest.didYouMean(name.value, in: known)
                r.error(
                    "unknown-channel",
                    "unknown channel '\(name.value)'\(hint.isEmpty ? "; channels are email, sms and chat" : hint)",
                    at: name.location)
                ok = false
                continue
            }
            if let first = out.first(where: { $0.value == channel }) {
                r.error(
                    "duplicate-channel",
                    "channel '\(channel.rawValue)' is listed twice; first at line \(first.location.line), column \(first.location.column)",
                    at: name.location)
                ok = false
                continue
            }
            out.append(name.map { _ in channel })
        }
        return ok ? out : nil
    }
}
