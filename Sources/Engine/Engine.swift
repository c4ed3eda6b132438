import Events
import Expressions
import Rules
import Scheduler
import Templates
import TouchpointCore

/// What a prompt decision leaves for the moment its trigger event is applied.
struct PromptSettlement: Sendable {
    /// A send to record in the engagement model.
    struct Send: Sendable {
        var customer: String
        var channel: Channel
        var at: Instant
    }

    /// Rules whose trigger by the event was handled.
    var rules: [Int] = []
    var sends: [Send] = []
}

/// The deterministic heart of Touchpoint: events in, message decisions out, time passed in.
///
/// The same engine runs a dry-run (virtual time: the events' own timestamps) and, later, the daemon
/// (a wall clock). It never reads a clock and does no I/O, so its output depends only on its input.
public struct Engine: Sendable {
    public let book: RuleBook
    public let templates: TemplateSet
    public let settings: EngineSettings
    private let scheduler: Scheduler

    public internal(set) var customers: [String: Customer] = [:]
    public internal(set) var population = PopulationStats()
    /// How often in event time decisions take a snapshot of the population's counts to read
    /// (``PopulationSnapshots``); `nil`: decisions read ``population`` as it is (a cluster node, whose
    /// ``population`` is the merged sum of every node's, frozen by wall time).
    public var populationEvery: TimeSpan? = PopulationStats.freezeEvery
    public internal(set) var snapshots = PopulationSnapshots()
    /// A worker of a ``PartitionedReplay``: its snapshots hold only its customers' counts, and decisions read
    /// the sum over every worker's from the board.
    var board: PopulationBoard?
    var boardIndex = 0
    /// The last sum read from the board, and its period: one period is read for an hour of decisions.
    private var boardRead: (period: Int64, stats: PopulationStats)?
    public internal(set) var stats = EngineStats()
    /// The engine's clock: the latest time it has been advanced to.
    public internal(set) var now = Instant(milliseconds: .min)
    /// `--explain` lines for `settings.explainCustomer`.
    public private(set) var trace: [String] = []

    /// When false, the caller deduplicates `messageId`s itself (the daemon asks the store, so the set
    /// of every id ever seen need not live in memory).
    public var deduplicates = true
    /// The wall clock, when a daemon drives the engine: a message whose window (plus `maxLateness`)
    /// has passed by then is dropped with `window-expired`. `nil` in a dry-run.
    public var wallClock: Instant?

    /// When false, the engine does not track which customers changed (a dry-run never persists).
    public var tracksChanges = true
    /// When true, a send is only *checked* to render (the decision needs no more); its content is left
    /// for the caller to render, on another thread, with ``MessageRecord/completeRendering(with:)``. A
    /// Slack Block Kit message is rendered at once all the same: its limits are judged on its content.
    public var defersRendering = false

    private var seenMessageIds = SeenMessageIDs()
    var pending: [PendingKey: Pending] = [:]
    var ledgers: [String: SendLedger] = [:]
    var inactivityDeadlines: [PendingKey: Instant] = [:]
    /// Timers that wait for the watermark: a late event could still change what they decide.
    private var timers = TimerHeap()
    /// Timers of rules nothing late can change (``RuleBook/decidesPromptly``): they fire at the sequencer's
    /// clock, not at its watermark.
    private var promptTimers = TimerHeap()
    /// While a prompt decision is made: its sends, recorded in the engagement model when its trigger is applied.
    private var deferredSends: [PromptSettlement.Send]?
    /// The time of the decision being made: records' `decidedAt`, and "is the send time already here?".
    private var decisionTime = Instant(milliseconds: .min)
    var sequence: UInt64 = 0
    /// Customers changed since the daemon last persisted.
    var dirty: Set<String> = []

    /// A message between its trigger and its send.
    struct Pending {
        enum Phase {
            case waiting
            case scheduled(channel: Channel, at: Instant, explanation: [String])
        }

        var generation: UInt64
        var messageId: String
        var trigger: Event
        var due: Instant
        var phase: Phase
        /// The scheduler's `why` object, once it has decided.
        var why: JSONValue = .null
        /// For a fallback follow-up: the first send it follows.
        var fallbackOf: FirstSend?
    }

    /// The send a fallback follow-up follows: its id, channel and time.
    struct FirstSend: Sendable, Hashable {
        var messageId: String
        var channel: Channel
        var at: Instant
    }

    /// Rules with `send.fallback`: the ones an open, click or bounce may concern.
    private let fallbackRules: [Int]
    /// The names that trigger or cancel a rule: most events are none of them, and the filter says so
    /// without hashing the name twice (`book.cancellers`, `book.triggers`).
    private let ruleNames: EventNameFilter

    public init(book: RuleBook, templates: TemplateSet, settings: EngineSettings) {
        self.book = book
        self.templates = templates
        self.settings = settings
        self.scheduler = Scheduler(settings: settings.scheduler)
        // The furthest back a ledger is ever asked about (`once-per`, the frequency cap), plus a day.
        let spans =
            book.rules.compactMap(\.rule.oncePer) + [settings.scheduler.frequencyCap?.per].compactMap { $0 }
        self.ledgerHorizon = TimeSpan(seconds: (spans.max() ?? .zero).seconds + 86_400)
        self.fallbackRules = book.fallbackRules
        self.ruleNames = EventNameFilter(Set(book.triggers.keys).union(book.cancellers.keys))
        self.promptly = book.rules.map {
            RuleBook.decidesPromptly($0.rule, frequencyCap: settings.scheduler.frequencyCap)
        }
        self.mayHoldFallback = book.rules.indices.map { book.fallbackRules.contains($0) }
        self.mayHoldInactivity = book.rules.indices.map { i in book.inactivity.contains { $0.rule == i } }
    }

    /// Per rule: whether its messages are decided as soon as they are due (nothing arriving late can cancel,
    /// replace or outrank them) rather than when the watermark passes them.
    let promptly: [Bool]

    /// Per rule: whether a customer may hold a fallback follow-up of it, or an inactivity deadline. Set for the
    /// rules that make them and whenever one is made or restored, never cleared: ``state(of:)`` looks up only
    /// these keys instead of three per rule and customer.
    var mayHoldFallback: [Bool]
    var mayHoldInactivity: [Bool]

    /// How long a ledger entry can still matter; older ones are pruned so ledgers do not grow with events.
    private let ledgerHorizon: TimeSpan

    /// The `track` event names whose `properties` this engine reads, or `nil` for every event's: its rules'
    /// triggers (conditions, templates and `same` see the trigger's) and cancellers, and the consent,
    /// engagement and bounce events the profile reads. A rule with `send.fallback` reads any event's
    /// `message_id` and `channel`, so then every event's.
    public var eventsReadingProperties: Set<String>? {
        guard fallbackRules.isEmpty else { return nil }
        return Customer.eventsReadingProperties.union(book.triggers.keys).union(book.cancellers.keys)
    }

    /// Pending timers and messages, for statistics.
    public var pendingCount: Int { pending.count }

    /// Armed inactivity timers (`when: { inactive: … }`), one per customer and rule.
    public var inactivityTimerCount: Int { inactivityDeadlines.count }

    /// When the next timer that waits for the watermark is due.
    public var nextTimerAt: Instant? { timers.first?.at }

    /// When the next prompt timer (one nothing late can change) is due: it fires at the clock, not the watermark.
    public var nextPromptTimerAt: Instant? { promptTimers.first?.at }

    /// Timers queued (some may be stale and skipped when they fire).
    public var timerCount: Int { timers.count + promptTimers.count }

    /// Entries kept in the customers' send ledgers (for `once-per` and the frequency cap).
    public var ledgerEntryCount: Int { ledgers.values.reduce(0) { $0 + $1.entries.count } }

    /// Feeds one event with no lateness at all: every timer due strictly before it fires first, then the event
    /// is applied. This is a ``Sequencer`` with `lateness: 0s` for one caller that already orders its events
    /// (tests, benchmarks); the drivers use a ``Sequencer``.
    ///
    /// Returns the decisions made on the way (timers that fired, cancellations).
    public mutating func apply(_ event: Event) -> [MessageRecord] {
        var out: [MessageRecord] = []
        if deduplicates, let id = event.messageId, !admit(messageId: id, of: event.userId) { return out }
        if event.instant < now { stats.lateEvents += 1 }
        let w = max(event.instant, now)
        while let t = nextTimer(watermark: event.instant, clock: event.instant), t < event.instant {
            takeSnapshot(before: t, watermark: w)
            fireNextTimer(watermark: event.instant, clock: event.instant, held: HeldEvents(), into: &out)
        }
        takeSnapshot(before: event.instant, watermark: w)
        applyEvent(event, settled: [], into: &out)
        takeSnapshot(before: w, watermark: w)
        return out
    }

    /// Takes the population snapshots of every hour boundary up to `t` (an event or timer about to be
    /// processed) that the watermark `w` has passed (``PopulationSnapshots``).
    mutating func takeSnapshot(before t: Instant, watermark w: Instant) {
        guard let every = populationEvery else { return }
        let k = PopulationSnapshots.period(of: min(t, w), every: every)
        guard k > snapshots.formed else { return }
        let live = population.live
        if let board {
            board.post(worker: boardIndex, period: k, live)
            snapshots.formed = k
        } else {
            snapshots.append(period: k, live)
        }
    }

    /// The population's counts a decision at `t` reads.
    mutating func decisionPopulation(at t: Instant) -> PopulationStats {
        guard let every = populationEvery else { return population }
        let f = snapshots.formed
        guard f != .min else { return PopulationStats() }
        let j = PopulationSnapshots.period(readAt: t, formed: f, every: every)
        guard let board else { return snapshots.stats(of: j) }
        if let r = boardRead, r.period == j { return r.stats }
        let s = board.sum(of: j)
        boardRead = (j, s)
        return s
    }

    /// Records `id` as seen; `false` (and counted as a duplicate) when it was seen before.
    mutating func admit(messageId id: String, of customer: String) -> Bool {
        guard seenMessageIds.insert(id) else {
            countDuplicate(messageId: id, of: customer)
            return false
        }
        return true
    }

    /// Counts (and notes) an event dropped as a duplicate: by ``admit(messageId:of:)``, or by a
    /// ``PartitionedReplay``'s reader, which sees every customer's ids.
    mutating func countDuplicate(messageId id: String, of customer: String) {
        stats.duplicates += 1
        note(customer, "duplicate messageId \(id) ignored")
    }

    /// Applies one event at its own timestamp: profile, cancellations, triggers. Fires no timer: which
    /// timers are due is the ``Sequencer``'s business. `settled` lists rules whose trigger by this event was
    /// already handled when the event arrived (``triggerPromptly(_:customer:at:)``).
    mutating func applyEvent(_ event: Event, settled: [Int], into out: inout [MessageRecord]) {
        if event.instant > now { now = event.instant }
        decisionTime = event.instant
        stats.eventsApplied += 1
        if tracksChanges { dirty.insert(event.userId) }
        // Mutated in place: copying the profile out and back would copy its engagement state too.
        let index: Dictionary<String, Customer>.Index
        if let found = customers.index(forKey: event.userId) {
            index = found
        } else {
            customers[event.userId] = Customer(id: event.userId)
            index = customers.index(forKey: event.userId)!
        }
        // Read in place too: a copy of the profile (retaining each of its collections) is taken only for a
        // trigger, below.
        let applied = customers.values[index].applyReading(event, policy: scheduler.settings.engagementPolicy)
        let effect = applied.effect
        if let after = applied.after { population.updatePrior(from: applied.counts, to: after) }
        let zone = applied.zone
        record(effect: effect, at: event.instant, zone: zone, sentAt: applied.sentAt)
        if settings.explainCustomer == event.userId {
            let kind: String
            switch event.kind {
            case .track: kind = event.name ?? "track"
            case .identify: kind = "identify"
            case .other(let type): kind = type
            }
            note(
                event.userId,
                "event \(kind) at \(zone.format(event.instant))"
                    + (event.source.map { " (\($0))" } ?? ""))
        }

        guard event.kind == .track, let name = event.name else {
            if case .other = event.kind { stats.ignored += 1 }
            return
        }
        let ruleName = ruleNames.mayContain(name)
        if ruleName { cancel(by: event, named: name, into: &out) }
        if !fallbackRules.isEmpty { answerFallbacks(event, named: name) }
        if ruleName, let indices = book.triggers[name] {
            // `cancel` and `answerFallbacks` change no profile, so the index still holds.
            let customer = customers.values[index]
            for index in indices where !settled.contains(index) {
                trigger(rule: index, by: event, customer: customer)
            }
        }
        if effect == .activity {
            for (index, span) in book.inactivity {
                let key = PendingKey(rule: index, customer: event.userId)
                let deadline = event.instant + span
                // One queued timer per customer and rule, not one per activity event (the queue would grow
                // with the events): a later deadline only moves the entry, and the queued timer re-arms
                // itself at the new deadline when it fires. A late event never moves a deadline earlier,
                // just as it never moves `lastActivity` earlier.
                if let current = inactivityDeadlines[key] {
                    if deadline > current { inactivityDeadlines[key] = deadline }
                } else {
                    inactivityDeadlines[key] = deadline
                    push(at: deadline, key: key, kind: .inactive(deadline: deadline), generation: 0)
                }
            }
        }
    }

    /// Fires every timer due at or before `time` and moves the clock there.
    public mutating func advance(to time: Instant) -> [MessageRecord] {
        var out: [MessageRecord] = []
        advance(to: time) { out.append($0) }
        return out
    }

    /// Runs every pending timer out (the end of a dry-run without `--until`).
    public mutating func finish() -> [MessageRecord] {
        var out: [MessageRecord] = []
        finish { out.append($0) }
        return out
    }

    /// Runs every pending timer out, handing each decision to `emit` as it is made: the decisions at the
    /// end of a long replay need not all be held at once.
    public mutating func finish(emit: (MessageRecord) -> Void) {
        advance(to: Instant(milliseconds: .max), emit: emit)
    }

    /// ``advance(to:)``, handing each decision to `emit` as it is made.
    public mutating func advance(to time: Instant, emit: (MessageRecord) -> Void) {
        var out: [MessageRecord] = []
        while let t = nextTimer(watermark: time, clock: time) {
            takeSnapshot(before: t, watermark: time)
            fireNextTimer(watermark: time, clock: time, held: HeldEvents(), into: &out)
            for r in out { emit(r) }
            out.removeAll(keepingCapacity: true)
        }
        if time > now, time.milliseconds != .max { now = time }
    }

    // MARK: - Effects of events

    private mutating func record(effect: EventEffect, at t: Instant, zone: Zone, sentAt: Instant?) {
        switch effect {
        case .engagement(.sent, let channel, _):
            population.recordSend(channel, at: t, zone: zone)
        case .engagement(.opened, let channel, _):
            population.recordOpen(channel, at: t, zone: zone, sentAt: sentAt)
        case .engagement(.clicked, let channel, _):
            population.recordClick(channel, at: t, zone: zone, sentAt: sentAt)
        case .activity:
            population.recordActivity(at: t, zone: zone)
        case .unknownChannel:
            stats.consentWithoutChannel += 1
        default:
            break
        }
    }

    private mutating func cancel(by event: Event, named name: String, into out: inout [MessageRecord]) {
        guard let entries = book.cancellers[name] else { return }
        // A cancelling event cancels the rule's fallback follow-up too: the customer did what it asked.
        for (ruleIndex, cancelIndex) in entries {
            for fallback in 0..<(mayHoldFallback[ruleIndex] ? 2 : 1) {
                let key = PendingKey(rule: ruleIndex, customer: event.userId, fallback: fallback == 1)
                cancel(key, rule: ruleIndex, entry: cancelIndex, by: event, named: name, into: &out)
            }
        }
    }

    /// Cancels `key`'s pending message when cancel entry `cancelIndex` of rule `ruleIndex` matches `event`.
    private mutating func cancel(
        _ key: PendingKey, rule ruleIndex: Int, entry cancelIndex: Int, by event: Event, named name: String,
        into out: inout [MessageRecord]
    ) {
        guard let p = pending[key], p.trigger.instant <= event.instant else { return }
        let compiled = book.rules[ruleIndex]
        let c = compiled.cancels[cancelIndex]
        if let cond = c.condition, !test(cond, rule: compiled.name, event: event) { return }
        if !c.same.allSatisfy({ field in
            guard let mine = event.properties[field] else { return false }
            return p.trigger.properties[field] == mine
        }) {
            return
        }
        pending.removeValue(forKey: key)
        ledgers[event.userId]?.remove(messageId: p.messageId)
        let why = "cancelled by \(name)" + (event.messageId.map { " (\($0))" } ?? "")
        note(event.userId, "rule \(compiled.name): \(why)")
        out.append(suppressed(p, rule: compiled, reason: .cancelled, detail: why, channel: nil))
    }

    /// An open or click of a first send stops its fallback; a hard bounce or failure of it brings the
    /// fallback forward to now. The event is about the first send when it names its `message_id`, or,
    /// naming none, its channel.
    private mutating func answerFallbacks(_ event: Event, named name: String) {
        for index in fallbackRules {
            let key = PendingKey(rule: index, customer: event.userId, fallback: true)
            guard var p = pending[key], let first = p.fallbackOf, event.instant >= first.at,
                let fallback = book.rules[index].rule.send.fallback
            else { continue }
            let id = event.properties["message_id"]?.stringValue
            let channel =
                event.properties["channel"]?.stringValue
                ?? (name.hasPrefix("Email") || name == WellKnownEvent.messageBounced ? "email" : nil)
            guard id.map({ $0 == first.messageId }) ?? (channel == first.channel.rawValue) else { continue }
            let rule = book.rules[index].name
            let answered =
                fallback.unless.contains(name)
                || (name == WellKnownEvent.emailOpened
                    && fallback.unless.contains(WellKnownEvent.messageOpened))
                || (name == WellKnownEvent.emailLinkClicked
                    && fallback.unless.contains(WellKnownEvent.messageClicked))
            if answered {
                pending.removeValue(forKey: key)
                ledgers[event.userId]?.remove(messageId: p.messageId)
                note(event.userId, "rule \(rule): \(name) of \(first.messageId), no fallback needed")
                continue
            }
            let hard = event.properties["type"]?.stringValue?.lowercased() != "soft"
            let failed =
                name == WellKnownEvent.messageFailed
                || ((name == WellKnownEvent.messageBounced || name == WellKnownEvent.emailBounced) && hard)
            guard failed, case .waiting = p.phase, p.due > event.instant else { continue }
            sequence += 1
            p.generation = sequence
            p.due = event.instant
            pending[key] = p
            push(at: event.instant, key: key, kind: .due, generation: p.generation)
            note(event.userId, "rule \(rule): \(name) of \(first.messageId), fallback now")
        }
    }

    /// Arms the fallback follow-up of a first send on `channel` at `at`: due `after` later unless answered.
    private mutating func armFallback(
        _ p: Pending, key: PendingKey, channel: Channel, at: Instant, after: TimeSpan
    ) {
        let fkey = PendingKey(rule: key.rule, customer: key.customer, fallback: true)
        sequence += 1
        var f = Pending(
            generation: sequence, messageId: StableID.fallback(of: p.messageId), trigger: p.trigger,
            due: at + after, phase: .waiting)
        f.fallbackOf = FirstSend(messageId: p.messageId, channel: channel, at: at)
        pending[fkey] = f
        mayHoldFallback[key.rule] = true
        push(at: f.due, key: fkey, kind: .due, generation: f.generation)
        if settings.explainCustomer == key.customer {
            let line =
                "rule \(book.rules[key.rule].name): fallback of \(p.messageId) due \(zoneName(key.customer).format(f.due)) unless answered"
            note(key.customer, line)
        }
    }

    /// Starts `rule`'s message for `event` when its condition holds; `true` when it did.
    @discardableResult
    private mutating func trigger(rule index: Int, by event: Event, customer: Customer, timer: Bool = true)
        -> Bool
    {
        let compiled = book.rules[index]
        if let cond = compiled.condition, !test(cond, rule: compiled.name, event: event, customer: customer) {
            return false
        }
        let key = PendingKey(rule: index, customer: event.userId)
        if pending[key] != nil, !compiled.rule.restart {
            note(event.userId, "rule \(compiled.name): already pending, restart: false keeps the first")
            return false
        }
        let triggerKey = event.messageId ?? "\(event.name ?? "")@\(event.instant.milliseconds)"
        start(rule: index, key: key, trigger: event, triggerKey: triggerKey, timer: timer)
        return true
    }

    private mutating func start(
        rule index: Int, key: PendingKey, trigger: Event, triggerKey: String, timer: Bool = true
    ) {
        let compiled = book.rules[index]
        if let old = pending[key] {
            ledgers[key.customer]?.remove(messageId: old.messageId)
            note(key.customer, "rule \(compiled.name): re-triggered, the timer restarts")
        }
        stats.triggers += 1
        sequence += 1
        let due = trigger.instant + compiled.rule.wait
        let p = Pending(
            generation: sequence,
            messageId: StableID.message(rule: compiled.name, customer: key.customer, trigger: triggerKey),
            trigger: trigger, due: due, phase: .waiting)
        pending[key] = p
        if settings.explainCustomer == key.customer {
            let zone = zoneName(key.customer)
            note(key.customer, "rule \(compiled.name): triggered, due \(zone.format(due))")
        }
        if timer { push(at: due, key: key, kind: .due, generation: p.generation) }
    }

    // MARK: - Timers

    /// When the earliest timer allowed to fire is due: one that waits for the watermark once `watermark` has
    /// passed it, a prompt one once `clock` has.
    func nextTimer(watermark: Instant, clock: Instant) -> Instant? {
        let held = timers.first.flatMap { $0.at <= watermark ? $0 : nil }
        let prompt = promptTimers.first.flatMap { $0.at <= clock ? $0 : nil }
        switch (held, prompt) {
        case (let h?, let p?): return min(h.at, p.at)
        case (let h?, nil): return h.at
        case (nil, let p?): return p.at
        case (nil, nil): return nil
        }
    }

    /// Fires the earliest timer allowed to fire (see ``nextTimer(watermark:clock:)``). A prompt timer decides
    /// on the customer as the events that arrived say, `held` ones up to the timer included.
    mutating func fireNextTimer(
        watermark: Instant, clock: Instant, held: HeldEvents, into out: inout [MessageRecord]
    ) {
        let h = timers.first.flatMap { $0.at <= watermark ? $0 : nil }
        let p = promptTimers.first.flatMap { $0.at <= clock ? $0 : nil }
        if let h, p == nil || h < p! {
            _ = timers.pop()
            fire(h, customer: customers[h.key.customer], into: &out)
        } else if let p {
            _ = promptTimers.pop()
            fire(p, customer: view(of: p.key.customer, asOf: p.at, held: held), into: &out)
        }
    }

    /// A customer as every event that arrived says, up to `time`: the applied profile plus the held events.
    func view(of id: String, asOf time: Instant, held: HeldEvents) -> Customer? {
        guard let waiting = held.byCustomer[id], !waiting.isEmpty else { return customers[id] }
        var c = customers[id] ?? Customer(id: id)
        for entry in waiting.filter({ $0.event.instant <= time }).sorted() {
            _ = c.apply(entry.event, policy: scheduler.settings.engagementPolicy)
        }
        return c
    }

    /// Decides, at once, the messages of the prompt rules `event` triggers (see
    /// ``RuleBook/decidesPromptly(_:frequencyCap:)``), on `customer` (the profile as every event that arrived
    /// says) although the event itself still waits for the watermark. Returns the rules handled, which
    /// ``applyEvent(_:settled:into:)`` then leaves alone, and the sends to record in the engagement model
    /// when the event is applied (so that model still learns in time order).
    mutating func triggerPromptly(
        _ event: Event, customer: Customer, at time: Instant, into out: inout [MessageRecord]
    ) -> PromptSettlement {
        var settlement = PromptSettlement()
        guard event.kind == .track, let name = event.name, let indices = book.triggers[name] else {
            return settlement
        }
        for index in indices where promptly[index] {
            settlement.rules.append(index)
            let triggerKey = event.messageId ?? "\(name)@\(event.instant.milliseconds)"
            let id = StableID.message(
                rule: book.rules[index].name, customer: event.userId, trigger: triggerKey)
            // Seen again after a restart re-read the lines the watermark had not passed: decided already.
            if let entry = ledgers[event.userId]?.entries.first(where: { $0.messageId == id }) {
                settlement.sends.append(
                    PromptSettlement.Send(customer: event.userId, channel: entry.channel, at: entry.at))
                continue
            }
            decisionTime = time
            if tracksChanges { dirty.insert(event.userId) }
            guard trigger(rule: index, by: event, customer: customer, timer: false) else { continue }
            let key = PendingKey(rule: index, customer: event.userId)
            guard let p = pending[key] else { continue }
            deferredSends = []
            schedule(p, key: key, customer: customer, into: &out)
            settlement.sends += deferredSends ?? []
            deferredSends = nil
        }
        return settlement
    }

    /// Records sends decided promptly in the engagement model and the population statistics.
    mutating func record(sends: [PromptSettlement.Send]) {
        for send in sends { recordSend(customer: send.customer, channel: send.channel, at: send.at) }
    }

    /// One send in the customer's engagement model and the population's.
    private mutating func recordSend(customer id: String, channel: Channel, at: Instant) {
        if customers[id] == nil { customers[id] = Customer(id: id) }
        let zone = scheduler.zone(for: customers[id]!)
        let counts = EngagementCounts(customers[id]!.engagement)
        customers[id]?.engagement.recordSend(
            channel, at: at, zone: zone, policy: scheduler.settings.engagementPolicy)
        if let updated = customers[id] {
            population.updatePrior(from: counts, to: EngagementCounts(updated.engagement))
        }
        population.recordSend(channel, at: at, zone: zone)
        if tracksChanges { dirty.insert(id) }
    }

    mutating func push(at: Instant, key: PendingKey, kind: EngineTimer.Kind, generation: UInt64) {
        sequence += 1
        let timer = EngineTimer(
            at: at, priority: book.rules[key.rule].rule.priority, sequence: sequence, key: key, kind: kind,
            generation: generation)
        if case .inactive = kind {
            timers.push(timer)
        } else if promptly[key.rule] {
            promptTimers.push(timer)
        } else {
            timers.push(timer)
        }
    }

    private mutating func fire(_ timer: EngineTimer, customer: Customer?, into out: inout [MessageRecord]) {
        if timer.at > now { now = timer.at }
        decisionTime = timer.at
        if tracksChanges { dirty.insert(timer.key.customer) }
        switch timer.kind {
        case .inactive(let deadline):
            guard let current = inactivityDeadlines[timer.key] else { return }
            if current > deadline {
                push(at: current, key: timer.key, kind: .inactive(deadline: current), generation: 0)
                return
            }
            inactivityDeadlines.removeValue(forKey: timer.key)
            let customer = customers[timer.key.customer]
            let last = customer?.lastActivity ?? deadline
            let zone = zoneName(timer.key.customer)
            let span = book.inactivity.first { $0.rule == timer.key.rule }?.span ?? .zero
            let event = Event(
                kind: .track, name: "Customer Inactive", userId: timer.key.customer,
                timestamp: Timestamp(instant: deadline, offsetSeconds: Int32(zone.offset(at: deadline))),
                properties: [
                    "last_activity": .string(zone.format(last)),
                    "inactive_for": .string(span.description),
                ])
            if pending[timer.key] != nil, !book.rules[timer.key.rule].rule.restart { return }
            start(
                rule: timer.key.rule, key: timer.key, trigger: event,
                triggerKey: "inactive@\(deadline.milliseconds)")
        case .due:
            guard let p = pending[timer.key], p.generation == timer.generation, case .waiting = p.phase else {
                return
            }
            schedule(p, key: timer.key, customer: customer ?? Customer(id: timer.key.customer), into: &out)
        case .send:
            guard let p = pending[timer.key], p.generation == timer.generation,
                case .scheduled(let channel, _, let explanation) = p.phase
            else { return }
            deliver(
                p, key: timer.key, customer: customer, channel: channel, explanation: explanation, into: &out)
        }
    }

    private mutating func schedule(
        _ p: Pending, key: PendingKey, customer: Customer, into out: inout [MessageRecord]
    ) {
        let compiled = book.rules[key.rule]
        let rule = compiled.rule
        // A fallback goes to the other candidates, and is the same message family as the first send:
        // the rule's `once-per` counted that one already (the frequency cap still counts both).
        let request = SendRequest(
            messageId: p.messageId, rule: compiled.name,
            candidates: rule.send.channels.map(\.value).filter { $0 != p.fallbackOf?.channel },
            due: p.due,
            within: rule.send.within, transactional: rule.transactional,
            oncePer: p.fallbackOf == nil ? rule.oncePer : nil,
            priority: rule.priority, urgency: rule.send.urgency?.value)
        if let wall = wallClock, wall > p.due + rule.send.within + settings.maxLateness {
            pending.removeValue(forKey: key)
            let late =
                "window ended \(zoneName(key.customer).format(p.due + rule.send.within)), now \(zoneName(key.customer).format(wall))"
            out.append(suppressed(p, rule: compiled, reason: .windowExpired, detail: late, channel: nil))
            return
        }
        let ledger = ledgers[key.customer] ?? SendLedger()
        let decision = scheduler.decide(
            request, customer: customer, ledger: ledger, population: decisionPopulation(at: decisionTime),
            explain: settings.keepsExplanations || settings.explainCustomer == key.customer)
        switch decision {
        case .suppressed(let reason, let explanation):
            pending.removeValue(forKey: key)
            var r = suppressed(p, rule: compiled, reason: reason, detail: nil, channel: nil)
            r.explanation = explanation.lines
            r.why = explanation.whyJSON
            note(key.customer, "rule \(compiled.name): suppressed (\(reason.rawValue))")
            for line in explanation.lines { note(key.customer, "  " + line) }
            out.append(r)
        case .send(let channel, let at, let explanation):
            // Counts look back from a message's due time, at most the horizon; timers fire in time order, so
            // no later decision looks back further than this one.
            ledgers[key.customer, default: SendLedger()].prune(before: min(now, p.due) - ledgerHorizon)
            ledgers[key.customer, default: SendLedger()].record(
                messageId: p.messageId, rule: compiled.name, channel: channel, at: at,
                transactional: rule.transactional)
            var scheduled = p
            scheduled.phase = .scheduled(channel: channel, at: at, explanation: explanation.lines)
            scheduled.why = explanation.whyJSON
            pending[key] = scheduled
            if settings.explainCustomer == key.customer {
                let zone = zoneName(key.customer)
                note(
                    key.customer,
                    "rule \(compiled.name): scheduled on \(channel.rawValue) for \(zone.format(at))")
            }
            for line in explanation.lines { note(key.customer, "  " + line) }
            if at <= decisionTime {
                deliver(
                    scheduled, key: key, customer: customer, channel: channel, explanation: explanation.lines,
                    into: &out)
            } else {
                push(at: at, key: key, kind: .send, generation: p.generation)
            }
        }
    }

    private mutating func deliver(
        _ p: Pending, key: PendingKey, customer: Customer?, channel: Channel, explanation: [String],
        into out: inout [MessageRecord]
    ) {
        pending.removeValue(forKey: key)
        let compiled = book.rules[key.rule]
        let rule = compiled.rule
        guard let customer else { return }
        guard case .scheduled(_, let at, _) = p.phase else { return }
        if let wall = wallClock, wall > p.due + rule.send.within + settings.maxLateness {
            ledgers[key.customer]?.remove(messageId: p.messageId)
            let late =
                "window ended \(zoneName(key.customer).format(p.due + rule.send.within)), now \(zoneName(key.customer).format(wall))"
            out.append(suppressed(p, rule: compiled, reason: .windowExpired, detail: late, channel: channel))
            return
        }
        // Consent can change between scheduling and sending: the latest word wins.
        if customer.address(for: channel) == nil || customer.isBlocked(channel)
            || (!rule.transactional && (customer.optedOutAll || customer.optedOut.contains(channel)))
        {
            ledgers[key.customer]?.remove(messageId: p.messageId)
            let reason: SuppressionReason =
                customer.address(for: channel) == nil
                ? .noReachableChannel : customer.isBlocked(channel) ? .bounced : .unsubscribed
            var r = suppressed(
                p, rule: compiled, reason: reason, detail: "consent changed before the send", channel: channel
            )
            r.explanation = explanation
            r.why = p.why
            out.append(r)
            return
        }
        var channel = channel
        var (rendered, job, unsubscribe) = render(p, key: key, customer: customer, channel: channel)
        var why = p.why
        // A template that needs a variable the chosen channel's variant lacks for this customer may render on
        // another candidate: the next reachable one in the rule's order whose variant renders is used, and
        // `why.render_fallback` says so (in the engine, so dry-run and the daemon agree).
        if case .failure(let failure) = rendered, failure.suppression == .missingVariable {
            let variants = templates.channels(template: rule.send.template.value)
            for next in rule.send.channels.map(\.value)
            where next != channel && variants.contains(next) && reachable(customer, next, rule: rule) {
                let attempt = render(p, key: key, customer: customer, channel: next)
                guard case .success = attempt.rendered else { continue }
                if let entry = ledgers[key.customer]?.remove(messageId: p.messageId) {
                    ledgers[key.customer, default: SendLedger()].record(
                        messageId: p.messageId, rule: compiled.name, channel: next, at: entry.at,
                        transactional: rule.transactional)
                }
                note(
                    key.customer,
                    "rule \(compiled.name): \(failure.reason) on \(channel.rawValue) (\(failure.description)); "
                        + "falling back to \(next.rawValue)")
                let fallback: JSONValue = [
                    "from": .string(channel.rawValue), "to": .string(next.rawValue),
                    "reason": .string(failure.reason), "detail": .string(failure.description),
                ]
                if case .object(var o) = why {
                    o["render_fallback"] = fallback
                    why = .object(o)
                } else {
                    why = ["render_fallback": fallback]
                }
                channel = next
                (rendered, job, unsubscribe) = attempt
                break
            }
        }
        // A message decided but not sent: its ledger entry goes, and the record says why.
        func holdBack(_ reason: SuppressionReason, detail: String, note text: String) {
            ledgers[key.customer]?.remove(messageId: p.messageId)
            var r = suppressed(p, rule: compiled, reason: reason, detail: detail, channel: channel)
            r.explanation = explanation
            r.why = why
            note(key.customer, "rule \(compiled.name): \(text)")
            out.append(r)
        }
        switch rendered {
        case .failure(let failure):
            holdBack(
                failure.suppression, detail: failure.description,
                note: "\(failure.reason): \(failure.description)")
        case .success(let result):
            if heldOut(rule: rule, customer: key.customer) {
                holdBack(
                    .holdout,
                    detail: "in the control group (holdout \(Engine.percent(holdoutShare(of: rule))))",
                    note: "held out (control group), not sent")
                return
            }
            // What the adapter would refuse before sending (a phone number not in E.164, a malformed email),
            // decided here so that a dry-run shows what the daemon records.
            if let address = customer.address(for: channel),
                let problem = AddressSyntax.problem(address, on: channel)
            {
                holdBack(.invalidAddress, detail: problem, note: "invalid-address: \(problem)")
                return
            }
            let zone = scheduler.zone(for: customer)
            if deferredSends != nil {
                deferredSends?.append(PromptSettlement.Send(customer: key.customer, channel: channel, at: at))
            } else {
                recordSend(customer: key.customer, channel: channel, at: at)
            }
            stats.sent += 1
            note(key.customer, "rule \(compiled.name): sent on \(channel.rawValue) at \(zone.format(at))")
            var record = MessageRecord(
                decision: .send, rule: compiled.name, customer: key.customer, messageId: p.messageId,
                triggerEvent: p.trigger.name ?? "", triggerMessageId: p.trigger.messageId,
                triggerTimestamp: p.trigger.timestamp, dueAt: p.due, sendAt: at, channel: channel,
                template: rule.send.template.value, locale: result.locale, reason: nil, detail: nil,
                content: result.content, zone: zone, priority: rule.priority,
                transactional: rule.transactional,
                decidedAt: decisionTime, explanation: explanation, why: why)
            if !rule.transactional { record.unsubscribeURL = unsubscribe }
            if channel == .sms {
                record.statusCallbackURL = settings.links?.statusCallbackURL(
                    messageId: p.messageId, customer: key.customer, issuedAt: decisionTime)
            }
            if result.content == nil { record.pendingRender = job }
            record.fallbackOf = p.fallbackOf?.messageId
            out.append(record)
            // Armed only when another candidate can reach the customer now: an email-only customer has no
            // follow-up to wait for (one who loses that address later gets a suppressed decision).
            if p.fallbackOf == nil, let fallback = rule.send.fallback,
                rule.send.channels.contains(where: {
                    $0.value != channel && reachable(customer, $0.value, rule: rule)
                })
            {
                armFallback(p, key: key, channel: channel, at: at, after: fallback.after)
            }
        }
    }

    /// Whether `channel` can carry this rule's message to `customer` now: an address, not bounced, and
    /// consent for marketing.
    private func reachable(_ customer: Customer, _ channel: Channel, rule: Rule) -> Bool {
        customer.address(for: channel) != nil && !customer.isBlocked(channel)
            && (rule.transactional || (!customer.optedOutAll && !customer.optedOut.contains(channel)))
    }

    /// The message's content on `channel` (checked only, when rendering is deferred), the job that renders
    /// it, and its unsubscribe URL.
    private func render(_ p: Pending, key: PendingKey, customer: Customer, channel: Channel) -> (
        rendered: Result<(locale: String?, content: RenderedContent?), RenderFailure>,
        job: MessageRecord.RenderJob, unsubscribe: String?
    ) {
        let compiled = book.rules[key.rule]
        let rule = compiled.rule
        var message: [String: JSONValue] = ["id": .string(p.messageId), "channel": .string(channel.rawValue)]
        // An explicitly configured unsubscribe-url wins over the built-in page.
        var unsubscribe: String?
        var linkFailure: RenderFailure?
        switch settings.unsubscribeURL(
            channel: channel, messageId: p.messageId, customer: customer, rule: compiled.name)
        {
        case .success(let url)?: unsubscribe = url
        // A transactional message carries no unsubscribe link, so a link it cannot fill does not hold it back.
        case .failure(let failure)?: if !rule.transactional { linkFailure = failure }
        case nil:
            unsubscribe = settings.links?.unsubscribeURL(
                messageId: p.messageId, customer: key.customer, channel: channel, locale: customer.locale,
                issuedAt: decisionTime)
        }
        if let unsubscribe { message["unsubscribe_url"] = .string(unsubscribe) }
        let context: JSONValue = [
            "customer": customer.contextValue,
            "event": p.trigger.contextValue,
            "message": .object(message),
            "rule": ["name": .string(compiled.name)],
        ]
        let job = MessageRecord.RenderJob(
            template: rule.send.template.value, channel: channel, locale: customer.locale, context: context,
            links: rule.send.tracking ? settings.links : nil, messageId: p.messageId, customer: key.customer,
            issuedAt: decisionTime)
        let rendered: Result<(locale: String?, content: RenderedContent?), RenderFailure>
        if let linkFailure {
            rendered = .failure(linkFailure)
        } else if defersRendering && !templates.sendsBlockKit(on: channel) {
            // Block Kit's limits are judged on the content itself, so a Slack message is rendered now.
            rendered = templates.check(
                template: rule.send.template.value, channel: channel, locale: customer.locale,
                context: context
            ).map { (locale: $0, content: nil) }
        } else {
            rendered = job.render(with: templates).map { (locale: $0.locale, content: $0) }
        }
        return (rendered, job, unsubscribe)
    }

    // MARK: - Helpers

    private mutating func suppressed(
        _ p: Pending, rule compiled: CompiledRule, reason: SuppressionReason, detail: String?,
        channel: Channel?
    ) -> MessageRecord {
        stats.suppressed[reason, default: 0] += 1
        let customer = customers[p.trigger.userId]
        var r = MessageRecord(
            decision: .suppressed, rule: compiled.name, customer: p.trigger.userId, messageId: p.messageId,
            triggerEvent: p.trigger.name ?? "", triggerMessageId: p.trigger.messageId,
            triggerTimestamp: p.trigger.timestamp, dueAt: p.due, sendAt: nil, channel: channel,
            template: compiled.rule.send.template.value, locale: customer?.locale, reason: reason,
            detail: detail,
            content: nil, zone: zoneName(p.trigger.userId), priority: compiled.rule.priority,
            transactional: compiled.rule.transactional, decidedAt: decisionTime, explanation: [])
        r.fallbackOf = p.fallbackOf?.messageId
        return r
    }

    private func zoneName(_ customer: String) -> Zone {
        scheduler.zone(for: customers[customer] ?? Customer(id: customer))
    }

    private mutating func test(_ e: Expression, rule: String, event: Event, customer: Customer? = nil) -> Bool
    {
        let c = customer ?? customers[event.userId] ?? Customer(id: event.userId)
        switch e.test(["event": event.contextValue, "customer": c.contextValue]) {
        case .success(let b): return b
        case .failure(let error):
            if let seen = stats.expressionFailures[rule] {
                stats.expressionFailures[rule] = (seen.count + 1, seen.first)
            } else {
                stats.expressionFailures[rule] = (1, "\(e.source): \(error.message)")
            }
            note(event.userId, "rule \(rule): condition failed (\(error.message)), treated as false")
            return false
        }
    }

    private mutating func note(_ customer: String, _ line: @autoclosure () -> String) {
        guard settings.explainCustomer == customer else { return }
        trace.append(line())
    }
}

/// What ``Engine/applyEvent(_:settled:into:)`` needs of a profile an event was applied to.
private struct AppliedEvent {
    var effect: EventEffect
    /// The engagement counts before the event, and after it for an engagement event.
    var counts: EngagementCounts
    var after: EngagementCounts?
    /// For an open or click that moved the counts (the first response to the channel's last send): that send.
    var sentAt: Instant?
    /// The customer's zone after the event.
    var zone: Zone
}

extension Customer {
    /// Applies `event` and reads what the engine needs of the result, all in place: no copy of the profile.
    ///
    /// The zone is `policy.zone(for:)`, the scheduler's `zone(for:)` (the policy's default zone is the
    /// scheduler's); an activity or engagement event looked it up already, and it is not looked up again.
    fileprivate mutating func applyReading(_ event: Event, policy: EngagementPolicy) -> AppliedEvent {
        let counts = EngagementCounts(engagement)
        var looked: Zone? = nil
        let effect = apply(event, policy: policy, zone: &looked)
        var applied = AppliedEvent(
            effect: effect, counts: counts, after: nil, sentAt: nil, zone: looked ?? policy.zone(for: self))
        if case .engagement(let kind, let channel, _) = effect {
            let after = EngagementCounts(engagement)
            applied.after = after
            if kind != .sent, after != counts { applied.sentAt = engagement.lastSend(channel) }
        }
        return applied
    }
}
