import Rules
import TouchpointCore

/// `touchpoint report`: per rule, what its messages did — sent, opened, clicked — and, for a rule with a
/// `goal`, conversions among the customers who received a message against those held out of it.
///
/// The unit is the customer: one who received at least one message of the rule is a receiver (a held-out
/// one, a member of the control group), and converted when a goal event follows one of those messages
/// within the goal's `within` (and matches its trigger on the `same` properties). A held-out message
/// counts from the moment it would have been sent, so both groups went through the same cancellations,
/// caps and windows first. Fed in any order; ``results()`` computes at the end.
public struct GoalReport: Sendable {
    /// One rule's line of the report.
    public struct Row: Sendable {
        public var rule: String
        public var goal: Goal?
        /// Messages sent.
        public var sent = 0
        /// Sent messages opened / clicked at least once (by `properties.message_id`).
        public var opened = 0
        public var clicked = 0
        /// Messages held back for the control group.
        public var heldOut = 0
        /// Customers who received at least one message, and how many of them converted.
        public var receivers = 0
        public var receiverConversions = 0
        /// Customers held out at least once, and how many of them converted anyway.
        public var holdoutCustomers = 0
        public var holdoutConversions = 0
        /// The goal events' `properties.revenue` (or `total`), summed per group; `nil` when none carried one.
        public var receiverRevenue: Double?
        public var holdoutRevenue: Double?

        /// Receivers' conversion rate minus the holdout's, with its interval.
        public var uplift: Uplift {
            Uplift(
                receivers: (receiverConversions, receivers), holdout: (holdoutConversions, holdoutCustomers))
        }
    }

    /// A message that went out, or would have (held out).
    struct Exposure: Sendable {
        var at: Instant
        var messageId: String
        var trigger: TriggerKey
        var heldOut: Bool
    }

    /// Finds a trigger's properties again: its `messageId`, else its name and time.
    public struct TriggerKey: Hashable, Sendable {
        var customer: String
        var id: String
    }

    struct GoalEvent: Sendable {
        var name: String
        var at: Instant
        var properties: [String: JSONValue]
    }

    private let rules: [Rule]
    private let ruleIndex: [String: Int]
    private let goalEvents: Set<String>
    /// Triggers whose properties a goal's `same` compares.
    private let correlatedTriggers: Set<String>
    private var exposures: [Int: [String: [Exposure]]] = [:]
    private var sentPerRule: [Int: Int] = [:]
    private var heldPerRule: [Int: Int] = [:]
    private var messageRule: [String: Int] = [:]
    private var opened: Set<String> = []
    private var clicked: Set<String> = []
    private var events: [String: [GoalEvent]] = [:]
    private var triggerProperties: [TriggerKey: [String: JSONValue]] = [:]

    /// A report over `rules` (the rules whose messages are fed in; others are ignored).
    public init(rules: [Rule]) {
        self.rules = rules
        var index: [String: Int] = [:]
        for (i, r) in rules.enumerated() { index[r.name.value] = i }
        ruleIndex = index
        goalEvents = Set(rules.compactMap { $0.goal?.event.value })
        var correlated = Set<String>()
        for r in rules where !(r.goal?.same.isEmpty ?? true) {
            if case .event(let name, _) = r.trigger { correlated.insert(name.value) }
        }
        correlatedTriggers = correlated
    }

    /// The key a message's trigger is found again by.
    static func triggerKey(customer: String, messageId: String?, name: String, at: Instant) -> TriggerKey {
        TriggerKey(customer: customer, id: messageId ?? "\(name)@\(at.milliseconds)")
    }

    /// A decision: a send, or a held-out message (other suppressions are not exposures).
    public mutating func add(_ r: MessageRecord) {
        let trigger = GoalReport.triggerKey(
            customer: r.customer, messageId: r.triggerMessageId, name: r.triggerEvent,
            at: r.triggerTimestamp.instant)
        if r.decision == .send {
            add(
                rule: r.rule, customer: r.customer, messageId: r.messageId, at: r.sendAt ?? r.decidedAt,
                trigger: trigger, heldOut: false)
        } else if r.reason == .holdout {
            add(
                rule: r.rule, customer: r.customer, messageId: r.messageId, at: r.decidedAt, trigger: trigger,
                heldOut: true)
        }
    }

    /// An exposure read back from a store: a delivered outbox row, or a `holdout` drop.
    public mutating func add(
        rule: String, customer: String, messageId: String, at: Instant, trigger: TriggerKey?, heldOut: Bool
    ) {
        guard let index = ruleIndex[rule] else { return }
        let trigger = trigger ?? TriggerKey(customer: customer, id: "")
        exposures[index, default: [:]][customer, default: []].append(
            Exposure(at: at, messageId: messageId, trigger: trigger, heldOut: heldOut))
        if heldOut {
            heldPerRule[index, default: 0] += 1
        } else {
            sentPerRule[index, default: 0] += 1
            messageRule[messageId] = index
        }
    }

    /// An event from the history: opens, clicks, goal events, and triggers whose properties a goal compares.
    public mutating func add(_ e: Event) {
        guard e.kind == .track, let name = e.name else { return }
        switch name {
        case WellKnownEvent.messageOpened, WellKnownEvent.emailOpened:
            if case .string(let id)? = e.properties["message_id"] { opened.insert(id) }
        case WellKnownEvent.messageClicked, WellKnownEvent.emailLinkClicked:
            if case .string(let id)? = e.properties["message_id"] {
                clicked.insert(id)
                // A click implies the message was seen, pixel or not.
                opened.insert(id)
            }
        default:
            break
        }
        if goalEvents.contains(name) {
            events[e.userId, default: []].append(
                GoalEvent(name: name, at: e.instant, properties: e.properties))
        }
        if correlatedTriggers.contains(name) {
            triggerProperties[
                GoalReport.triggerKey(customer: e.userId, messageId: e.messageId, name: name, at: e.instant)] =
                e.properties
        }
    }

    /// One row per rule that sent or held back anything, in rule order.
    public func results() -> [Row] {
        var rows: [Row] = []
        for (index, rule) in rules.enumerated() {
            let byCustomer = exposures[index] ?? [:]
            if byCustomer.isEmpty { continue }
            var row = Row(rule: rule.name.value, goal: rule.goal)
            row.sent = sentPerRule[index] ?? 0
            row.heldOut = heldPerRule[index] ?? 0
            row.opened = messageRule.filter { $0.value == index && opened.contains($0.key) }.count
            row.clicked = messageRule.filter { $0.value == index && clicked.contains($0.key) }.count
            for (customer, list) in byCustomer {
                // A customer is in one group: held out of every message, or a receiver of at least one.
                let received = list.filter { !$0.heldOut }
                let group = received.isEmpty ? list : received
                let isReceiver = !received.isEmpty
                if isReceiver { row.receivers += 1 } else { row.holdoutCustomers += 1 }
                guard let goal = rule.goal else { continue }
                let converting = conversions(of: customer, exposures: group, goal: goal)
                guard !converting.isEmpty else { continue }
                if isReceiver { row.receiverConversions += 1 } else { row.holdoutConversions += 1 }
                let revenue = converting.compactMap { GoalReport.revenue($0.properties) }
                if !revenue.isEmpty {
                    let sum = revenue.reduce(0, +)
                    if isReceiver {
                        row.receiverRevenue = (row.receiverRevenue ?? 0) + sum
                    } else {
                        row.holdoutRevenue = (row.holdoutRevenue ?? 0) + sum
                    }
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// The goal events that follow one of `exposures` within the goal's window (each counted once).
    private func conversions(of customer: String, exposures: [Exposure], goal: Goal) -> [GoalEvent] {
        let candidates = (events[customer] ?? []).filter { $0.name == goal.event.value }
        return candidates.filter { e in
            exposures.contains { x in
                guard e.at >= x.at, e.at <= x.at + goal.within else { return false }
                if goal.same.isEmpty { return true }
                guard let props = triggerProperties[x.trigger] else { return false }
                return goal.same.allSatisfy { field in
                    guard let mine = e.properties[field.value] else { return false }
                    return props[field.value] == mine
                }
            }
        }
    }

    /// `properties.revenue`, else `properties.total`, as a number.
    static func revenue(_ properties: [String: JSONValue]) -> Double? {
        for key in ["revenue", "total"] {
            switch properties[key] {
            case .number(let n)?: return n
            case .string(let s)?: if let n = Double(s) { return n }
            default: continue
            }
        }
        return nil
    }
}
