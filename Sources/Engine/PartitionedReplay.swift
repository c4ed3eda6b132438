import Events
import Foundation
import Scheduler
import TouchpointCore

/// What a replay ends with, for its summary line.
public struct ReplayOutcome: Sendable {
    public var linesRead: Int
    public var rejections: [Replay.Rejection]
    public var farAhead: [Replay.FarAhead]
    /// Events that arrived dated before the watermark, and the most any was behind the clock.
    public var lateCount: Int
    public var maxLateMilliseconds: Int64
    /// `--explain`'s timeline.
    public var trace: [String]
    public var stats: EngineStats
}

extension Replay {
    public var outcome: ReplayOutcome {
        ReplayOutcome(
            linesRead: linesRead, rejections: rejections, farAhead: farAhead, lateCount: sequencer.lateCount,
            maxLateMilliseconds: sequencer.maxLateMilliseconds, trace: engine.trace, stats: engine.stats)
    }
}

/// A ``Replay`` whose customers are spread over worker threads (`dry-run --threads`), with the same output
/// byte for byte, whatever the number of threads.
///
/// This thread reads and decodes the files, drops duplicate `messageId`s (it sees every customer's), keeps
/// the clock (the latest event time: the watermark is the whole input's) and hands the events out in
/// batches. Every worker runs a ``Sequencer`` of its own over the customers hashed to it: it offers its own
/// customers' events and moves its clock for everyone else's, so its timers fire and its held events are
/// released at exactly the steps a single sequencer would. Customers depend on each other only through the
/// population statistics, and decisions read hourly snapshots of those (``PopulationSnapshots``): each worker
/// posts its customers' share of each snapshot to a ``PopulationBoard`` and reads the sum of every worker's
/// (integers, so in any order): what one engine's snapshot of all customers holds. The decisions come back
/// tagged with the step (the event) they were made at, and go out in ``Decided`` order, which does not depend
/// on the partition; lateness is counted here, against the frontier of all workers.
public struct PartitionedReplay {
    enum Item: Sendable {
        case event(Event, owner: Int)
        /// A `messageId` seen before: only counted, by its customer's worker.
        case duplicate(Event, owner: Int)
    }

    struct Finish: Sendable {
        var until: Instant?
        var step: Int
    }

    /// One batch, the same for every worker.
    struct Work: Sendable {
        var items: [Item]
        var firstStep: Int
        var finish: Finish?
    }

    enum Message: Sendable {
        case work(Work)
        case stop
    }

    struct WorkResult: Sendable {
        var records: [MessageRecord] = []
        /// Per record, the step it was made at.
        var steps: [Int] = []
        /// Per item, the worker's frontier after it (milliseconds).
        var frontiers: [Int64] = []
    }

    enum Reply: Sendable {
        case result(WorkResult)
        case done(Sequencer)
    }

    /// A batch handed out, its results not collected yet.
    struct InFlight {
        var items: [Item]
        var firstStep: Int
        var marksBefore: [Instant]
        var marksAfter: [Instant]
        var clocksBefore: [Instant]
        var finishes: Bool
    }

    /// Events per batch.
    static let batchSize = 1024

    public let threads: Int
    public let lateness: TimeSpan
    private let inboxes: [Handoff<Message>]
    private let outboxes: [Handoff<Reply>]
    private var feed = LineFeed()
    private var seen = SeenMessageIDs()
    private let deduplicates: Bool
    private var clock = Instant(milliseconds: .min)
    /// The latest time anything was released or fired at, over every worker (known as batches come back).
    private var frontier = Instant(milliseconds: .min)
    private var items: [Item] = []
    private var marksBefore: [Instant] = []
    private var marksAfter: [Instant] = []
    private var clocksBefore: [Instant] = []
    private var steps = 0
    private var firstStep = 1
    private var inFlight: [InFlight] = []
    private var output = BinaryHeap<Decided>()
    private var decided = 0
    public var linesRead: Int { feed.linesRead }
    public var rejections: [Replay.Rejection] { feed.rejections }
    public var farAhead: [Replay.FarAhead] { feed.farAhead }
    public private(set) var lateCount = 0
    public private(set) var maxLateMilliseconds: Int64 = 0

    /// When set, only `track` events with these names keep their `properties` (``Replay/propertiesRead``).
    public var propertiesRead: Set<String>? {
        get { feed.decoder.propertiesRead }
        set { feed.decoder.propertiesRead = newValue }
    }

    /// Starts `threads` workers, each with a copy of `engine` (fresh: no customers yet).
    public init(engine: Engine, lateness: TimeSpan, threads: Int) {
        let n = max(threads, 1)
        self.threads = n
        self.lateness = lateness
        self.deduplicates = engine.deduplicates
        let board = PopulationBoard(workers: n)
        var inboxes: [Handoff<Message>] = []
        var outboxes: [Handoff<Reply>] = []
        for index in 0..<n {
            let inbox = Handoff<Message>(capacity: 4)
            let outbox = Handoff<Reply>(capacity: 4)
            inboxes.append(inbox)
            outboxes.append(outbox)
            var own = engine
            own.board = board
            own.boardIndex = index
            // The counts at the start are counted once, in the first worker's share.
            if index > 0 { own.population = PopulationStats() }
            let thread = Thread { [own] in
                PartitionedReplay.work(
                    index: index, engine: own, lateness: lateness, inbox: inbox, outbox: outbox)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        self.inboxes = inboxes
        self.outboxes = outboxes
    }

    /// The worker a customer's events go to: FNV-1a of the id, so every run spreads customers alike.
    static func owner(of customer: String, among n: Int) -> Int {
        guard n > 1 else { return 0 }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in customer.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return Int(h % UInt64(n))
    }

    private var watermark: Instant {
        guard clock.milliseconds > Int64.min + lateness.milliseconds else {
            return Instant(milliseconds: .min)
        }
        return clock - lateness
    }

    /// Reads one JSON Lines file, as ``Replay/read(file:until:emit:reject:progress:)`` does.
    public mutating func read(
        file path: String, until: Instant? = nil, emit: (MessageRecord) -> Void,
        reject: (Replay.Rejection) -> Void, progress: ((UInt64) -> Void)? = nil
    ) throws {
        var feed = self.feed
        self.feed = LineFeed()
        defer { self.feed = feed }
        try feed.read(
            file: path, until: until, watermark: { watermark }, reject: reject, progress: progress,
            offer: { offer($0, emit: emit) })
    }

    private mutating func offer(_ event: Event, emit: (MessageRecord) -> Void) {
        let owner = Self.owner(of: event.userId, among: threads)
        steps += 1
        let before = clock
        let markBefore = watermark
        if deduplicates, let id = event.messageId, !seen.insert(id) {
            append(.duplicate(event, owner: owner), markBefore: markBefore, clockBefore: before)
            return
        }
        if event.instant > clock { clock = event.instant }
        append(.event(event, owner: owner), markBefore: markBefore, clockBefore: before)
        if items.count >= Self.batchSize { dispatch(finish: nil, emit: emit) }
    }

    private mutating func append(_ item: Item, markBefore: Instant, clockBefore: Instant) {
        items.append(item)
        marksBefore.append(markBefore)
        clocksBefore.append(clockBefore)
        marksAfter.append(watermark)
    }

    /// Hands the current items to every worker (at most three batches in flight).
    private mutating func dispatch(finish: Finish?, emit: (MessageRecord) -> Void) {
        if inFlight.count >= 3 { collect(emit: emit) }
        let work = Work(items: items, firstStep: firstStep, finish: finish)
        for inbox in inboxes { inbox.put(.work(work)) }
        inFlight.append(
            InFlight(
                items: items, firstStep: firstStep, marksBefore: marksBefore, marksAfter: marksAfter,
                clocksBefore: clocksBefore, finishes: finish != nil))
        firstStep += items.count
        items.removeAll(keepingCapacity: true)
        marksBefore.removeAll(keepingCapacity: true)
        marksAfter.removeAll(keepingCapacity: true)
        clocksBefore.removeAll(keepingCapacity: true)
    }

    /// Takes the oldest batch's results from every worker and writes what they make final, in order.
    private mutating func collect(emit: (MessageRecord) -> Void) {
        let batch = inFlight.removeFirst()
        var results: [WorkResult] = []
        for outbox in outboxes {
            guard case .result(let r) = outbox.take() else {
                preconditionFailure("a replay worker stopped early")
            }
            results.append(r)
        }
        var cursors = Array(repeating: 0, count: results.count)
        var n = decided
        func take(step: Int) {
            for w in results.indices {
                var c = cursors[w]
                let r = results[w]
                while c < r.steps.count, r.steps[c] == step {
                    n += 1
                    output.push(Decided(record: r.records[c], step: step, order: n))
                    c += 1
                }
                cursors[w] = c
            }
        }
        for i in batch.items.indices {
            let step = batch.firstStep + i
            if case .event(let e, _) = batch.items[i], e.instant < batch.marksBefore[i], e.instant < frontier
            {
                lateCount += 1
                let behind = batch.clocksBefore[i].milliseconds - e.instant.milliseconds
                if behind > maxLateMilliseconds { maxLateMilliseconds = behind }
            }
            var f = frontier.milliseconds
            for r in results where r.frontiers[i] > f { f = r.frontiers[i] }
            frontier = Instant(milliseconds: f)
            take(step: step)
            let mark = batch.marksAfter[i]
            while let d = output.first, d.decidedAt <= mark {
                _ = output.pop()
                emit(d.record)
            }
        }
        if batch.finishes {
            take(step: batch.firstStep + batch.items.count)
            while let d = output.pop() { emit(d.record) }
        }
        decided = n
    }

    /// Releases every held event and fires timers up to `until` (every timer when nil), as
    /// ``Replay/finish(until:emit:)`` does; stops the workers and returns the summary.
    public mutating func finish(until: Instant?, emit: (MessageRecord) -> Void) -> ReplayOutcome {
        dispatch(finish: Finish(until: until, step: steps + 1), emit: emit)
        while !inFlight.isEmpty { collect(emit: emit) }
        while let d = output.pop() { emit(d.record) }
        var stats = EngineStats()
        var trace: [String] = []
        for (inbox, outbox) in zip(inboxes, outboxes) {
            inbox.put(.stop)
            guard case .done(let sequencer) = outbox.take() else {
                preconditionFailure("a replay worker answered late")
            }
            let s = sequencer.engine.stats
            stats.eventsApplied += s.eventsApplied
            stats.duplicates += s.duplicates
            stats.ignored += s.ignored
            stats.triggers += s.triggers
            stats.sent += s.sent
            stats.consentWithoutChannel += s.consentWithoutChannel
            stats.droppedOnRestore += s.droppedOnRestore
            stats.retimedOnRestore += s.retimedOnRestore
            for (reason, count) in s.suppressed { stats.suppressed[reason, default: 0] += count }
            for (rule, failure) in s.expressionFailures {
                // The first failure is the first of the lowest-numbered worker that had one.
                let first = stats.expressionFailures[rule]?.first ?? failure.first
                stats.expressionFailures[rule] = (
                    (stats.expressionFailures[rule]?.count ?? 0) + failure.count, first
                )
            }
            trace += sequencer.engine.trace
        }
        stats.lateEvents = lateCount
        return ReplayOutcome(
            linesRead: linesRead, rejections: rejections, farAhead: farAhead, lateCount: lateCount,
            maxLateMilliseconds: maxLateMilliseconds, trace: trace, stats: stats)
    }

    /// One worker: its customers' sequencer, batch after batch.
    private static func work(
        index: Int, engine: Engine, lateness: TimeSpan, inbox: Handoff<Message>, outbox: Handoff<Reply>
    ) {
        var sequencer = Sequencer(engine: engine, lateness: lateness)
        sequencer.checksDuplicates = false
        sequencer.keepsHeldView = engine.promptly.contains(true)
        while true {
            guard case .work(let work) = inbox.take() else {
                outbox.put(.done(sequencer))
                return
            }
            var result = WorkResult()
            result.frontiers.reserveCapacity(work.items.count)
            var step = work.firstStep
            let emit: (MessageRecord) -> Void = { r in
                result.records.append(r)
                result.steps.append(step)
            }
            for item in work.items {
                switch item {
                case .event(let e, let owner):
                    if owner == index {
                        sequencer.offer(e, emit: emit)
                    } else {
                        sequencer.advanceClock(to: e.instant, emit: emit)
                    }
                case .duplicate(let e, let owner):
                    if owner == index, let id = e.messageId {
                        sequencer.engine.countDuplicate(messageId: id, of: e.userId)
                    }
                }
                result.frontiers.append(sequencer.frontier.milliseconds)
                step += 1
            }
            if let finish = work.finish {
                step = finish.step
                sequencer.finish(until: finish.until, emit: emit)
            }
            outbox.put(.result(result))
        }
    }
}
