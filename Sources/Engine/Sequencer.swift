import Events
import TouchpointCore

/// Orders events and fires the engine's timers by a watermark: the one sequencer behind `dry-run`,
/// `touchpoint run` and `touchpoint test`, so all three make the same decisions from the same lines.
///
/// Events wait in a heap, by (timestamp, arrival), until the watermark — the sequencer's clock minus
/// `lateness` — passes them; timers fire only when the watermark passes them, in time order with the
/// events, never as a side effect of applying one. The clock is the latest event time seen (in the daemon
/// also the wall clock: never past it, and the wall clock itself once every file is read to its end).
///
/// The exception is a message nothing arriving late could change (``RuleBook/decidesPromptly(_:frequencyCap:)``):
/// it is decided as soon as its trigger arrives, on the customer as every event that arrived says, and
/// its send fires at the clock, not at the watermark. An event dated before the watermark (later than
/// `lateness`) is applied at once, never dropped, and counted as late.
public struct Sequencer: Sendable {
    /// What became of an offered event.
    public enum Arrival: Sendable, Equatable {
        /// Its `messageId` was seen before: ignored.
        case duplicate
        /// Waiting for the watermark (possibly released by the same call, when the watermark already passed it).
        case accepted
        /// Dated before the watermark: applied at once, this many milliseconds behind the clock.
        case late(milliseconds: Int64)
    }

    public var engine: Engine
    /// How long an event may arrive after later-dated ones and still be ordered before them; `nil` is
    /// unbounded (rule tests: every event is known in advance).
    public let lateness: TimeSpan?
    /// The latest event time seen (capped by ``wallClock``), or the wall clock once the input is caught up.
    public private(set) var clock = Instant(milliseconds: .min)
    /// The daemon's wall clock: the clock never moves past it.
    public var wallClock: Instant? {
        didSet { engine.wallClock = wallClock }
    }
    /// Events that arrived dated before the watermark.
    public private(set) var lateCount = 0
    /// The most any late event was behind the clock, in milliseconds.
    public private(set) var maxLateMilliseconds: Int64 = 0

    /// The latest time anything was released or fired at (up to the watermark).
    public private(set) var frontier = Instant(milliseconds: .min)
    /// When false, the caller has already dropped duplicate `messageId`s (``PartitionedReplay``'s reader sees
    /// every customer's; a partition sees only its own).
    public var checksDuplicates = true
    private var heap = BinaryHeap<Entry>()
    private var held = HeldEvents()
    /// Held events whose trigger of a prompt rule waits for the clock to reach them.
    private var promptQueue = BinaryHeap<Entry>()
    /// Per held event (by arrival number): what its prompt decisions left for when it is applied.
    private var settled: [Int: PromptSettlement] = [:]
    /// Message ids of held events, when the engine does not deduplicate itself (the daemon's store only
    /// knows the ids of events it applied).
    private var heldIds: [String: Int] = [:]
    /// Message ids of events released since the last ``takeReleased()``: the caller records them as seen only
    /// then, so until then they are still this sequencer's to deduplicate.
    private var releasedIds: Set<String> = []
    private var arrivals = 0
    /// Event names that trigger a prompt rule.
    private var promptNames: Set<String>
    /// Tokens of the events released since the last ``takeReleased()``.
    private var released: [Int] = []
    /// Whether held events are also kept per customer, for ``customer(_:)`` and prompt decisions. A replay
    /// whose engine has no prompt rule never asks (``Replay``), and saves two lookups and a list per event.
    public var keepsHeldView = true

    /// A sequencer driving `engine`.
    public init(engine: Engine, lateness: TimeSpan?) {
        self.engine = engine
        self.lateness = lateness
        promptNames = Sequencer.promptNames(engine)
    }

    private static func promptNames(_ engine: Engine) -> Set<String> {
        var names: Set<String> = []
        for (index, compiled) in engine.book.rules.enumerated() where engine.promptly[index] {
            if case .event(let name, _) = compiled.rule.trigger { names.insert(name.value) }
        }
        return names
    }

    /// Swaps in an engine with reloaded rules (its state restored from the old one); held events stay held,
    /// and prompt decisions already made for them stay made.
    public mutating func replaceEngine(with fresh: Engine) {
        let oldNames = engine.book.rules.map(\.name)
        var index: [String: Int] = [:]
        for (i, r) in fresh.book.rules.enumerated() { index[r.name] = i }
        for (arrival, settlement) in settled {
            var s = settlement
            s.rules = settlement.rules.compactMap { index[oldNames[$0]] }
            settled[arrival] = s
        }
        var fresh = fresh
        fresh.wallClock = wallClock
        fresh.populationEvery = engine.populationEvery
        engine = fresh
        promptNames = Sequencer.promptNames(fresh)
    }

    /// A customer as every event that arrived says, the held ones included: a prompt decision's address.
    public func customer(_ id: String) -> Customer? {
        engine.view(of: id, asOf: Instant(milliseconds: .max), held: held)
    }

    /// The clock minus `lateness`: events and timers up to here are final.
    public var watermark: Instant {
        guard let lateness else { return Instant(milliseconds: .min) }
        guard clock.milliseconds > Int64.min + lateness.milliseconds else {
            return Instant(milliseconds: .min)
        }
        return clock - lateness
    }

    /// Events waiting for the watermark.
    public var heldCount: Int { heap.count }

    /// The clock time at which something next becomes due: a held event or timer once the watermark reaches
    /// it (its time plus `lateness`), a prompt trigger or timer once the clock does. A daemon sleeps until then.
    public var nextDue: Instant? {
        let l = lateness ?? .zero
        let candidates: [Instant?] = [
            heap.first.map { $0.instant + l }, engine.nextTimerAt.map { $0 + l },
            promptQueue.first.map { $0.instant }, engine.nextPromptTimerAt,
        ]
        return candidates.compactMap { $0 }.min()
    }

    /// Whether an event with this `messageId` is waiting for the watermark.
    public func holds(messageId: String) -> Bool { heldIds[messageId] != nil }

    /// Tokens (given to ``offer(_:token:emit:)``) of the events released to the engine since the last call.
    public mutating func takeReleased() -> [Int] {
        defer {
            released.removeAll(keepingCapacity: true)
            releasedIds.removeAll(keepingCapacity: true)
        }
        return released
    }

    /// Offers one event in arrival order; decisions it makes possible go to `emit`. `token` comes back from
    /// ``takeReleased()`` once the event is released to the engine (the daemon commits offsets by it).
    @discardableResult
    public mutating func offer(_ event: Event, token: Int? = nil, emit: (MessageRecord) -> Void) -> Arrival {
        if checksDuplicates, let id = event.messageId {
            if heldIds[id] != nil || releasedIds.contains(id) {
                engine.stats.duplicates += 1
                return .duplicate
            }
            if engine.deduplicates, !engine.admit(messageId: id, of: event.userId) { return .duplicate }
        }
        let mark = watermark
        var arrival = Arrival.accepted
        // Late only when it can no longer take its place: something dated after it was already applied or
        // fired. (Dated before the watermark but after everything released, it is still in order.)
        if event.instant < mark, event.instant < frontier {
            let behind = clock.milliseconds - event.instant.milliseconds
            lateCount += 1
            engine.stats.lateEvents += 1
            if behind > maxLateMilliseconds { maxLateMilliseconds = behind }
            arrival = .late(milliseconds: behind)
        } else {
            let reach = wallClock.map { min($0, event.instant) } ?? event.instant
            if reach > clock { clock = reach }
        }
        arrivals += 1
        let entry = Entry(event: event, arrival: arrivals, token: token ?? -1)
        heap.push(entry)
        if keepsHeldView { held.byCustomer[event.userId, default: []].append(entry) }
        if checksDuplicates, !engine.deduplicates, let id = event.messageId { heldIds[id] = arrivals }
        if let name = event.name, event.kind == .track, promptNames.contains(name), event.instant > mark {
            promptQueue.push(entry)
        }
        release(emit: emit)
        return arrival
    }

    /// Moves the clock to the wall clock (`caughtUp`: every line written so far has been read) or only caps
    /// it there, and releases what that makes final.
    public mutating func advance(wall: Instant, caughtUp: Bool, emit: (MessageRecord) -> Void) {
        wallClock = wall
        if caughtUp, wall > clock { clock = wall }
        release(emit: emit)
    }

    /// Moves the clock to `t` (when later) for an event another partition applies, and releases what that
    /// makes final: a partition's clock is the whole input's (``PartitionedReplay``).
    public mutating func advanceClock(to t: Instant, emit: (MessageRecord) -> Void) {
        guard t > clock else { return }
        clock = t
        release(emit: emit)
    }

    /// Restores the clock and the late counts after a restart (the daemon).
    /// The clock is kept behind the wall clock (`wall`): a clock a future-dated event once pushed ahead (before
    /// such events were quarantined) does not keep its skew across restarts.
    public mutating func restore(clock: Instant, lateCount: Int, maxLateMilliseconds: Int64, wall: Instant) {
        self.clock = max(self.clock, min(clock, wall))
        if engine.now > wall { engine.now = wall }
        self.lateCount = lateCount
        self.maxLateMilliseconds = maxLateMilliseconds
    }

    /// Releases every held event and fires every timer up to `until`, or everything when `until` is nil
    /// (the end of a dry-run or a rule test).
    public mutating func finish(until: Instant?, emit: (MessageRecord) -> Void) {
        let end = until ?? Instant(milliseconds: .max)
        release(watermark: end, clock: end, emit: emit)
        if let until, until > engine.now { engine.advance(to: until, emit: emit) }
    }

    private mutating func release(emit: (MessageRecord) -> Void) {
        release(watermark: watermark, clock: clock, emit: emit)
    }

    /// Merges, in time order, the held events the watermark has passed, the prompt triggers the clock has
    /// reached, and the timers allowed to fire. On a tie an event goes first, then a prompt trigger, then
    /// timers: a timer fires after the events of its own instant, as it always has.
    private mutating func release(watermark w: Instant, clock x: Instant, emit: (MessageRecord) -> Void) {
        var out: [MessageRecord] = []
        while true {
            let event = heap.first.flatMap { $0.instant <= w ? $0 : nil }
            // A trigger the watermark has passed is released as an event, its prompt rules with it.
            while let q = promptQueue.first, q.instant <= w { _ = promptQueue.pop() }
            let prompt = promptQueue.first.flatMap { $0.instant <= x ? $0 : nil }
            let timer = engine.nextTimer(watermark: w, clock: x)
            if let e = event, prompt.map({ e.instant <= $0.instant }) ?? true,
                timer.map({ e.instant <= $0 }) ?? true
            {
                _ = heap.pop()
                engine.takeSnapshot(before: e.instant, watermark: w)
                forget(e)
                let settlement = settled.removeValue(forKey: e.arrival)
                engine.applyEvent(e.event, settled: settlement?.rules ?? [], into: &out)
                if let sends = settlement?.sends, !sends.isEmpty { engine.record(sends: sends) }
                if e.instant > frontier { frontier = e.instant }
                if e.token >= 0 { released.append(e.token) }
            } else if let q = prompt, timer.map({ q.instant <= $0 }) ?? true {
                _ = promptQueue.pop()
                engine.takeSnapshot(before: q.instant, watermark: w)
                let customer =
                    engine.view(of: q.event.userId, asOf: q.instant, held: held)
                    ?? Customer(id: q.event.userId)
                let settlement = engine.triggerPromptly(
                    q.event, customer: customer, at: q.instant, into: &out)
                if !settlement.rules.isEmpty { settled[q.arrival] = settlement }
            } else if let t = timer {
                engine.takeSnapshot(before: t, watermark: w)
                engine.fireNextTimer(watermark: w, clock: x, held: held, into: &out)
                let reached = min(t, w)
                if reached > frontier { frontier = reached }
            } else {
                engine.takeSnapshot(before: w, watermark: w)
                break
            }
            for r in out { emit(r) }
            out.removeAll(keepingCapacity: true)
        }
    }

    /// Drops a released event from the per-customer view and the held ids.
    private mutating func forget(_ e: Entry) {
        let id = e.event.userId
        // In place: one lookup, and no copy of the list (a copied-out list is shared until written back).
        if keepsHeldView, let slot = held.byCustomer.index(forKey: id) {
            if let i = held.byCustomer.values[slot].firstIndex(where: { $0.arrival == e.arrival }) {
                held.byCustomer.values[slot].remove(at: i)
            }
            if held.byCustomer.values[slot].isEmpty { held.byCustomer.remove(at: slot) }
        }
        if let mid = e.event.messageId, heldIds[mid] == e.arrival {
            heldIds[mid] = nil
            releasedIds.insert(mid)
        }
    }

    /// A held event: ordered by timestamp, then arrival.
    struct Entry: Comparable, Sendable {
        /// The event in a box of its own: the heaps move entries on every push and pop, and moving an `Event`
        /// by value retains and releases each of its strings and dictionaries (a fifth of the replay's time).
        private let box: EventBox
        let instant: Instant
        var arrival: Int
        var token: Int

        init(event: Event, arrival: Int, token: Int) {
            box = EventBox(event)
            instant = event.instant
            self.arrival = arrival
            self.token = token
        }

        var event: Event { box.event }

        static func < (a: Entry, b: Entry) -> Bool {
            a.instant != b.instant ? a.instant < b.instant : a.arrival < b.arrival
        }

        static func == (a: Entry, b: Entry) -> Bool { a.arrival == b.arrival }
    }
}

/// One held event, shared by the sequencer's heaps and ``HeldEvents`` without copying it.
final class EventBox: Sendable {
    let event: Event

    init(_ event: Event) { self.event = event }
}

/// The events that arrived and wait for the watermark, per customer in arrival order: what a prompt decision
/// sees of a customer beyond the applied profile.
struct HeldEvents: Sendable {
    var byCustomer: [String: [Sequencer.Entry]] = [:]
}
