import Rules
import Templates
import TouchpointCore

/// `touchpoint plan`: what a change to rules, templates or config changes, replayed on history.
///
/// Both sides replay the same events; their sends are matched by message id (stable from rule, customer
/// and trigger), so a message that exists on one side only was added or removed, and one on both sides
/// may have moved (channel or send time) or say something else (content).
public struct Plan: Sendable {
    /// What happened to one message.
    public enum Kind: String, Sendable, CaseIterable {
        case added
        case removed
        /// Another channel or send time.
        case moved
        /// The same channel and time, other content.
        case content
    }

    /// One message that differs.
    public struct Change: Sendable {
        public var kind: Kind
        public var rule: String
        public var customer: String
        public var messageId: String
        public var base: MessageRecord?
        public var head: MessageRecord?
    }

    /// One rule's differences.
    public struct RuleDiff: Sendable {
        public var rule: String
        public var changes: [Change] = []

        public func count(_ kind: Kind) -> Int { changes.filter { $0.kind == kind }.count }
        /// Customers with at least one changed message.
        public var customers: Set<String> { Set(changes.map(\.customer)) }
    }

    /// Rules that differ, in name order; a rule with no difference is not listed.
    public var rules: [RuleDiff]

    /// Whether anything differs.
    public var isEmpty: Bool { rules.isEmpty }

    /// Compares the sends of two replays of the same events.
    public static func compare(base: [MessageRecord], head: [MessageRecord]) -> Plan {
        let before = Dictionary(
            base.filter { $0.decision == .send }.map { ($0.messageId, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(
            head.filter { $0.decision == .send }.map { ($0.messageId, $0) }, uniquingKeysWith: { a, _ in a })
        var byRule: [String: RuleDiff] = [:]
        func note(_ kind: Kind, _ b: MessageRecord?, _ h: MessageRecord?) {
            let r = (h ?? b)!
            byRule[r.rule, default: RuleDiff(rule: r.rule)].changes.append(
                Change(
                    kind: kind, rule: r.rule, customer: r.customer, messageId: r.messageId, base: b, head: h))
        }
        for (id, b) in before {
            guard let h = after[id] else {
                note(.removed, b, nil)
                continue
            }
            if b.channel != h.channel || b.sendAt != h.sendAt {
                note(.moved, b, h)
            } else if !Plan.sameContent(b.content, h.content) {
                note(.content, b, h)
            }
        }
        for (id, h) in after where before[id] == nil { note(.added, nil, h) }
        var rules = Array(byRule.values).sorted { $0.rule < $1.rule }
        for i in rules.indices {
            rules[i].changes.sort {
                ($0.head ?? $0.base)!.decidedAt != ($1.head ?? $1.base)!.decidedAt
                    ? ($0.head ?? $0.base)!.decidedAt < ($1.head ?? $1.base)!.decidedAt
                    : $0.messageId < $1.messageId
            }
        }
        return Plan(rules: rules)
    }

    /// Content as the customer sees it: subject, preheader, text, HTML, buttons.
    static func sameContent(_ a: RenderedContent?, _ b: RenderedContent?) -> Bool {
        a?.subject == b?.subject && a?.preheader == b?.preheader && a?.text == b?.text && a?.html == b?.html
            && a?.buttons == b?.buttons
    }

    /// A line diff of what a customer reads (subject, text, then the HTML's lines): `-` base, `+` head, ` ` both.
    public static func contentDiff(_ a: RenderedContent?, _ b: RenderedContent?) -> [String] {
        func lines(_ c: RenderedContent?) -> [String] {
            guard let c else { return [] }
            var out: [String] = []
            if let s = c.subject { out.append("Subject: " + s) }
            out += c.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if let html = c.html {
                out += html.split(separator: "\n", omittingEmptySubsequences: false).map { "HTML: " + $0 }
            }
            return out
        }
        return diff(lines(a), lines(b))
    }

    /// A longest-common-subsequence line diff.
    static func diff(_ a: [String], _ b: [String]) -> [String] {
        let n = a.count
        let m = b.count
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                out.append("  " + a[i])
                i += 1
                j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                out.append("- " + a[i])
                i += 1
            } else {
                out.append("+ " + b[j])
                j += 1
            }
        }
        return trimmed(out, context: 1)
    }

    /// Only the changed lines and `context` unchanged lines around each; `…` where lines were left out.
    static func trimmed(_ lines: [String], context: Int) -> [String] {
        let changed = lines.indices.filter { !lines[$0].hasPrefix("  ") }
        var keep = Set<Int>()
        for i in changed {
            for k in max(0, i - context)...min(lines.count - 1, i + context) { keep.insert(k) }
        }
        var out: [String] = []
        var last = -1
        for i in keep.sorted() {
            if i > last + 1 { out.append("  …") }
            out.append(lines[i])
            last = i
        }
        if last < lines.count - 1, !out.isEmpty { out.append("  …") }
        return out
    }
}

/// What a reload would do to the messages pending in a daemon's store (`touchpoint plan --store`).
public struct ReloadPlan: Sendable {
    /// Pending messages that resume as they are.
    public var kept = 0
    /// Waiting messages whose rule's `wait` changed: due again at the trigger plus the new wait.
    public var retimed = 0
    /// Pending messages of rules that no longer exist.
    public var dropped = 0
    /// Per rule: (kept, re-timed, dropped).
    public var perRule: [String: (kept: Int, retimed: Int, dropped: Int)] = [:]

    /// Classifies every pending message of `states` against `rules`, exactly as ``Engine/restore`` treats them.
    public static func classify(_ states: [String: CustomerState], rules: [Rule]) -> ReloadPlan {
        var plan = ReloadPlan()
        var byName: [String: Rule] = [:]
        for r in rules { byName[r.name.value] = r }
        for state in states.values {
            for m in state.pending {
                var entry = plan.perRule[m.rule] ?? (0, 0, 0)
                if let rule = byName[m.rule] {
                    if m.channel == nil, Engine.retimedDue(m, wait: rule.wait) != nil {
                        plan.retimed += 1
                        entry.retimed += 1
                    } else {
                        plan.kept += 1
                        entry.kept += 1
                    }
                } else {
                    plan.dropped += 1
                    entry.dropped += 1
                }
                plan.perRule[m.rule] = entry
            }
        }
        return plan
    }
}
