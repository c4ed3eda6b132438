import Events
import TouchpointCore

/// Replays event files through an ``Engine`` in virtual time: the events' own timestamps.
///
/// Events are re-ordered within a bounded lateness window, so a cancelling event that arrives a little
/// after a later-dated one still stops the message it should. An event later than the window is applied
/// anyway (never lost) and counted as late.
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

    public var engine: Engine
    public let lateness: TimeSpan
    public private(set) var rejections: [Rejection] = []
    public private(set) var linesRead = 0
    private var buffer = EventBuffer()
    private var watermark = Instant(milliseconds: .min)
    private let decoder = EventDecoder()

    public init(engine: Engine, lateness: TimeSpan) {
        self.engine = engine
        self.lateness = lateness
    }

    /// Reads one JSON Lines file, calling `emit` for every decision as it is made and `reject` for each bad line.
    public mutating func read(
        file path: String, until: Instant? = nil, emit: (MessageRecord) -> Void, reject: (Rejection) -> Void
    ) throws {
        let reader = try JSONLinesReader(path: path)
        while let line = try reader.next() {
            linesRead += 1
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
                offer(event, emit: emit)
            case .failure(let rejection)?:
                let r = Rejection(
                    file: path, line: rejection.line, column: rejection.column, reason: rejection.reason)
                rejections.append(r)
                reject(r)
            }
        }
    }

    /// Drains the re-order buffer and fires timers up to `until`, or every timer when `until` is nil.
    public mutating func finish(until: Instant?, emit: (MessageRecord) -> Void) {
        while let event = buffer.pop() {
            for r in engine.apply(event) { emit(r) }
        }
        if let until { engine.advance(to: until, emit: emit) } else { engine.finish(emit: emit) }
    }

    private mutating func offer(_ event: Event, emit: (MessageRecord) -> Void) {
        buffer.push(event)
        let candidate = event.instant - lateness
        if candidate > watermark { watermark = candidate }
        while let head = buffer.peek, head.instant <= watermark {
            let e = buffer.pop()!
            for r in engine.apply(e) { emit(r) }
        }
    }
}

/// The bounded-lateness re-order buffer: events by (timestamp, arrival order).
struct EventBuffer {
    private struct Entry: Comparable {
        var event: Event
        var seq: Int

        static func < (a: Entry, b: Entry) -> Bool {
            a.event.instant != b.event.instant ? a.event.instant < b.event.instant : a.seq < b.seq
        }

        static func == (a: Entry, b: Entry) -> Bool { a.seq == b.seq }
    }

    private var heap = BinaryHeap<Entry>()
    private var seq = 0

    var peek: Event? { heap.first?.event }

    mutating func push(_ e: Event) {
        seq += 1
        heap.push(Entry(event: e, seq: seq))
    }

    mutating func pop() -> Event? { heap.pop()?.event }
}
