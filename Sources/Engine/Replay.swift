import Events
import TouchpointCore

/// Replays event files through a ``Sequencer`` in virtual time: the events' own timestamps.
///
/// The sequencer re-orders events within a bounded lateness window, so a cancelling event that arrives a
/// little after a later-dated one still stops the message it should. An event later than the window is
/// applied anyway (never lost) and counted as late. Decisions come out in the order of their decision
/// time: a prompt decision (made as its trigger arrives) takes its place among the timers the watermark
/// releases later, so the output reads as a timeline.
public struct Replay: Sendable {
    /// A line that was rejected: where, and why.
    public struct Rejection: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int?
        public var reason: String

        public var description: String {
            column.map { "\(file):\(line):\($0): \(reason)" } ?? "\(file):\(line): \(reason)"
        }
    }

    /// A line dated far beyond the replay's watermark: a daemon would have quarantined it if it was also
    /// beyond its wall clock (`future-timestamp`); a dry-run applies it and reports it.
    public struct FarAhead: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var timestamp: Timestamp
        /// How far beyond the watermark, in milliseconds.
        public var ahead: Int64

        public var description: String {
            "\(file):\(line): warning: timestamp \(timestamp.text) is \(Replay.describe(milliseconds: ahead)) "
                + "beyond the replay's watermark; its clock jumps there and every timer before it fires "
                + "(touchpoint run quarantines an event dated beyond its wall clock: future-timestamp)"
        }
    }

    /// How far beyond the watermark an event may be dated before it is reported (``FarAhead``).
    public static let farAheadBound = TimeSpan.days(30)

    public var sequencer: Sequencer
    public var engine: Engine { sequencer.engine }
    public var lateness: TimeSpan { sequencer.lateness ?? .zero }
    private var feed = LineFeed()
    public var rejections: [Rejection] { feed.rejections }
    public var farAhead: [FarAhead] { feed.farAhead }
    public var linesRead: Int { feed.linesRead }
    /// When set, only `track` events with these names keep their `properties` (``EventDecoder/propertiesRead``):
    /// a dry-run passes ``Engine/eventsReadingProperties``, since nothing but its engine sees the events.
    public var propertiesRead: Set<String>? {
        get { feed.decoder.propertiesRead }
        set { feed.decoder.propertiesRead = newValue }
    }
    /// Decisions waiting for the watermark to pass their decision time, so they come out in time order.
    private var output = BinaryHeap<Decided>()
    private var decided = 0
    /// Events offered so far: the step each decision is made in, part of its place in the output.
    private var steps = 0

    public init(engine: Engine, lateness: TimeSpan) {
        self.sequencer = Sequencer(engine: engine, lateness: lateness)
        // The per-customer view of held events serves prompt decisions only (a replay asks for no customer).
        sequencer.keepsHeldView = engine.promptly.contains(true)
    }

    /// Reads one JSON Lines file, calling `emit` for every decision and `reject` for each bad line.
    ///
    /// `progress`, when given, is called every 16,384 lines and at the end with the bytes of the file read.
    public mutating func read(
        file path: String, until: Instant? = nil, emit: (MessageRecord) -> Void, reject: (Rejection) -> Void,
        progress: ((UInt64) -> Void)? = nil
    ) throws {
        // Taken out while it reads, so the closures below may change the rest of the replay.
        var feed = self.feed
        self.feed = LineFeed()
        defer { self.feed = feed }
        try feed.read(
            file: path, until: until, watermark: { sequencer.watermark }, reject: reject, progress: progress,
            offer: { offer($0, emit: emit) })
    }

    /// Releases every held event and fires timers up to `until`, or every timer when `until` is nil.
    public mutating func finish(until: Instant?, emit: (MessageRecord) -> Void) {
        // Taken out (not copied) so the closure's pushes do not copy the whole heap: `output` would still share it.
        var out = output
        output = BinaryHeap()
        var n = decided
        let step = steps + 1
        sequencer.finish(until: until) { r in
            n += 1
            out.push(Decided(record: r, step: step, order: n))
        }
        while let d = out.pop() { emit(d.record) }
        output = out
        decided = n
    }

    private mutating func offer(_ event: Event, emit: (MessageRecord) -> Void) {
        // Taken out (not copied) so the closure's pushes do not copy the whole heap: `output` would still share it.
        var out = output
        output = BinaryHeap()
        var n = decided
        steps += 1
        let step = steps
        sequencer.offer(event) { r in
            n += 1
            out.push(Decided(record: r, step: step, order: n))
        }
        let mark = sequencer.watermark
        while let d = out.first, d.decidedAt <= mark {
            _ = out.pop()
            emit(d.record)
        }
        output = out
        decided = n
    }

    /// `3 d 4 h`, `12 min`, `40 s`: a span as a person reads it.
    public static func describe(milliseconds ms: Int64) -> String {
        let s = ms / 1000
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min" }
        return "\(s) s"
    }
}

/// A decision waiting for its place in the output: by decision time, then the step (the event offered) it
/// was made in, the customer, and the order it was made in. Customers decide independently between two
/// population freezes, so this order does not depend on how customers are spread over threads: a
/// ``PartitionedReplay`` writes exactly what a ``Replay`` writes.
struct Decided: Comparable, Sendable {
    /// The record in a box: the heap moves entries on every push and pop, and moving a ``MessageRecord`` by
    /// value retains and releases each of its strings.
    private let box: RecordBox
    let decidedAt: Instant
    let step: Int
    var order: Int

    init(record: MessageRecord, step: Int, order: Int) {
        box = RecordBox(record)
        decidedAt = record.decidedAt
        self.step = step
        self.order = order
    }

    var record: MessageRecord { box.record }

    static func < (a: Decided, b: Decided) -> Bool {
        if a.decidedAt != b.decidedAt { return a.decidedAt < b.decidedAt }
        if a.step != b.step { return a.step < b.step }
        if a.order == b.order { return false }
        let ca = a.box.record.customer
        let cb = b.box.record.customer
        return ca != cb ? ca < cb : a.order < b.order
    }

    static func == (a: Decided, b: Decided) -> Bool { a.order == b.order }
}

/// One decision held for the output heap without copying it.
final class RecordBox: Sendable {
    let record: MessageRecord

    init(_ record: MessageRecord) { self.record = record }
}

/// The reading half of a replay, shared by ``Replay`` and ``PartitionedReplay``: reads a JSON Lines file,
/// decodes each line, skips events after `until`, notes rejected lines and timestamps far beyond the
/// watermark, and hands every event on in file order.
struct LineFeed: Sendable {
    var decoder = EventDecoder()
    var rejections: [Replay.Rejection] = []
    var farAhead: [Replay.FarAhead] = []
    var linesRead = 0

    mutating func read(
        file path: String, until: Instant?, watermark: () -> Instant, reject: (Replay.Rejection) -> Void,
        progress: ((UInt64) -> Void)?, offer: (Event) -> Void
    ) throws {
        let reader = try JSONLinesReader(path: path)
        defer { progress?(reader.offset) }
        while let line = try reader.next() {
            linesRead += 1
            if let progress, linesRead & 16383 == 0 { progress(line.endOffset) }
            let result: Result<Event, EventRejection>?
            if line.tooLong {
                result = .failure(
                    EventRejection(
                        file: path, line: line.number,
                        reason: "line longer than \(reader.maximumLineLength) bytes; not read"))
            } else {
                result = decoder.decode(line: line.bytes, file: path, lineNumber: line.number)
            }
            switch result {
            case nil:
                continue
            case .success(let event)?:
                if let until, event.instant > until { continue }
                let mark = watermark()
                if mark.milliseconds != .min, event.instant > mark + Replay.farAheadBound {
                    farAhead.append(
                        Replay.FarAhead(
                            file: path, line: line.number, timestamp: event.timestamp,
                            ahead: event.instant.milliseconds - mark.milliseconds))
                }
                offer(event)
            case .failure(let rejection)?:
                let r = Replay.Rejection(
                    file: path, line: rejection.line, column: rejection.column, reason: rejection.reason)
                rejections.append(r)
                reject(r)
            }
        }
    }
}
