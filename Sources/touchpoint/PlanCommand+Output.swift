import Engine
import TouchpointCore

extension PlanCommand {
    /// `email 2026-11-20T19:00:00+08:00`.
    static func place(_ r: MessageRecord?) -> String {
        guard let r else { return "-" }
        return "\(r.channel?.rawValue ?? "-") \(r.sendAt.map { r.zone.format($0) } ?? "-")"
    }

    /// The plain table: a block per rule that changes, then the totals.
    static func table(_ plan: Plan) -> [String] {
        guard !plan.isEmpty else {
            return ["No changes: the working rules send exactly what the base sends."]
        }
        var lines: [String] = []
        for rule in plan.rules {
            lines.append(
                "rule \(rule.rule): \(rule.count(.added)) added, \(rule.count(.removed)) removed, "
                    + "\(rule.count(.moved)) changed channel or time, \(rule.count(.content)) changed content; "
                    + "\(rule.customers.count) customer\(rule.customers.count == 1 ? "" : "s") affected")
            var diffs = 0
            for c in rule.changes {
                switch c.kind {
                case .added: lines.append("  + \(c.customer) \(c.messageId): \(place(c.head))")
                case .removed: lines.append("  - \(c.customer) \(c.messageId): \(place(c.base))")
                case .moved:
                    lines.append("  ~ \(c.customer) \(c.messageId): \(place(c.base)) -> \(place(c.head))")
                case .content:
                    lines.append("  ~ \(c.customer) \(c.messageId): content changed")
                    if diffs < diffsPerRule {
                        diffs += 1
                        lines += Plan.contentDiff(c.base?.content, c.head?.content).map { "      " + $0 }
                    }
                }
            }
            lines.append("")
        }
        let all = plan.rules.flatMap(\.changes)
        lines.append(
            "Plan: \(all.filter { $0.kind == .added }.count) to add, \(all.filter { $0.kind == .removed }.count) to remove, "
                + "\(all.filter { $0.kind == .moved || $0.kind == .content }.count) to change, in \(plan.rules.count) rule(s); "
                + "\(Set(all.map(\.customer)).count) customer(s) affected.")
        return lines
    }

    /// One JSON object per rule that changes, then one `{"summary": …}` line.
    static func json(_ plan: Plan) -> [String] {
        func record(_ r: MessageRecord?) -> JSONValue {
            guard let r else { return .null }
            return [
                "channel": r.channel.map { .string($0.rawValue) } ?? .null,
                "send_at": r.sendAt.map { .string(r.zone.format($0)) } ?? .null,
                "subject": r.content?.subject.map { .string($0) } ?? .null,
                "text": r.content.map { .string($0.text) } ?? .null,
            ]
        }
        var lines: [String] = []
        for rule in plan.rules {
            var diffs = 0
            let changes: [JSONValue] = rule.changes.map { c in
                var o: [String: JSONValue] = [
                    "kind": .string(c.kind.rawValue), "customer": .string(c.customer),
                    "message_id": .string(c.messageId), "base": record(c.base), "head": record(c.head),
                    "diff": .null,
                ]
                if c.kind == .content, diffs < diffsPerRule {
                    diffs += 1
                    o["diff"] = .array(Plan.contentDiff(c.base?.content, c.head?.content).map { .string($0) })
                }
                return .object(o)
            }
            let value: JSONValue = [
                "rule": .string(rule.rule),
                "added": .number(Double(rule.count(.added))),
                "removed": .number(Double(rule.count(.removed))),
                "moved": .number(Double(rule.count(.moved))),
                "content": .number(Double(rule.count(.content))),
                "customers": .number(Double(rule.customers.count)), "changes": .array(changes),
            ]
            lines.append(line(value))
        }
        let all = plan.rules.flatMap(\.changes)
        let summary: JSONValue = [
            "summary": [
                "rules": .number(Double(plan.rules.count)),
                "added": .number(Double(all.filter { $0.kind == .added }.count)),
                "removed": .number(Double(all.filter { $0.kind == .removed }.count)),
                "moved": .number(Double(all.filter { $0.kind == .moved }.count)),
                "content": .number(Double(all.filter { $0.kind == .content }.count)),
                "customers": .number(Double(Set(all.map(\.customer)).count)),
            ]
        ]
        lines.append(line(summary))
        return lines
    }

    static func line(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        value.append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What a reload would do to the store's pending messages.
    static func table(_ r: ReloadPlan) -> [String] {
        var lines = [
            "Reload: of \(r.kept + r.retimed + r.dropped) pending message(s), \(r.kept) kept, \(r.retimed) re-timed, "
                + "\(r.dropped) dropped (rule removed)."
        ]
        for (rule, n) in r.perRule.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(rule): \(n.kept) kept, \(n.retimed) re-timed, \(n.dropped) dropped")
        }
        return lines
    }

    static func json(_ r: ReloadPlan) -> String {
        var rules: [String: JSONValue] = [:]
        for (rule, n) in r.perRule {
            rules[rule] = [
                "kept": .number(Double(n.kept)), "retimed": .number(Double(n.retimed)),
                "dropped": .number(Double(n.dropped)),
            ]
        }
        return line([
            "reload": [
                "kept": .number(Double(r.kept)), "retimed": .number(Double(r.retimed)),
                "dropped": .number(Double(r.dropped)), "rules": .object(rules),
            ]
        ])
    }
}
