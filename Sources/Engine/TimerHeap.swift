import TouchpointCore

/// A binary min-heap: the engine's timers, and the replay's re-order buffer.
struct BinaryHeap<Element: Comparable> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var first: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}

extension BinaryHeap: Sendable where Element: Sendable {}

/// The engine's timers, in ``EngineTimer``'s order.
typealias TimerHeap = BinaryHeap<EngineTimer>

/// Something the engine must do at a time: a wait ending, a scheduled send, an inactivity deadline.
struct EngineTimer: Comparable {
    enum Kind {
        /// The rule's `wait` is over: schedule the message.
        case due
        /// The scheduled send time has come: render and emit.
        case send
        /// A customer's inactivity deadline for an `inactive` rule.
        case inactive(deadline: Instant)

        /// The order of kinds due together for one key.
        var rank: Int {
            switch self {
            case .inactive: 0
            case .due: 1
            case .send: 2
            }
        }
    }

    var at: Instant
    var priority: Int
    var sequence: UInt64
    var key: PendingKey
    var kind: Kind
    /// The pending message generation this timer belongs to; stale timers are skipped.
    var generation: UInt64

    /// Time, then priority (higher first), then the customer, the rule's place in the book, the fallback
    /// follow-up after its rule's message: an order that follows from the timers alone, so an engine
    /// restored from saved state (which re-creates its timers in no particular order) fires timers due
    /// together exactly as the engine that saved it would have. Insertion order breaks only the ties left,
    /// between a key's live timer and its stale ones.
    static func < (a: EngineTimer, b: EngineTimer) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.priority != b.priority { return a.priority > b.priority }
        if a.key.customer != b.key.customer { return a.key.customer < b.key.customer }
        if a.key.rule != b.key.rule { return a.key.rule < b.key.rule }
        if a.key.fallback != b.key.fallback { return !a.key.fallback }
        if a.kind.rank != b.kind.rank { return a.kind.rank < b.kind.rank }
        return a.sequence < b.sequence
    }

    static func == (a: EngineTimer, b: EngineTimer) -> Bool { a.sequence == b.sequence }
}

/// One rule × one customer: at most one pending message each.
struct PendingKey: Hashable {
    var rule: Int
    var customer: String
    /// The rule's fallback follow-up (``Rules/SendSpec/fallback``), pending beside its next message.
    var fallback = false
}
