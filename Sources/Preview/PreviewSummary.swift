import Engine
import TouchpointCore

/// Everything the preview page needs, gathered one record at a time.
///
/// Counts (per rule, per reason, per day and channel) cover every record added; only the first
/// `cardLimit` records asked to show a card are kept, so a dry-run of millions of events can feed
/// this as it goes without holding its output in memory.
public struct PreviewSummary: Sendable {
    /// Sent and held-back counts of one rule.
    public struct RuleTally: Sendable, Hashable {
        /// Messages that would be sent.
        public var sent = 0
        /// Sent messages per channel.
        public var sentByChannel: [Channel: Int] = [:]
        /// Held-back messages per SPEC §6 reason (`unknown` when a record carries none).
        public var suppressedByReason: [String: Int] = [:]

        /// Messages held back, whatever the reason.
        public var suppressed: Int { suppressedByReason.values.reduce(0, +) }

        /// An empty tally.
        public init() {}
    }

    /// The most cards the page shows; later records are counted but not shown.
    public let cardLimit: Int
    /// The zone whose calendar days the volume chart uses.
    public let chartZone: Zone
    /// The records kept for cards, in the order they were added.
    public private(set) var cards: [MessageRecord] = []
    /// Records that asked for a card after `cardLimit` was reached.
    public private(set) var omittedCards = 0
    /// Every record added.
    public private(set) var recordCount = 0
    /// Records that would be sent.
    public private(set) var sent = 0
    /// Records held back.
    public private(set) var suppressed = 0
    /// Tallies by rule name.
    public private(set) var rules: [String: RuleTally] = [:]
    /// Sent messages per day and channel; the key counts days since 1970-01-01 in `chartZone`.
    public private(set) var days: [Int: [Channel: Int]] = [:]

    /// The goals section (`touchpoint report`): one row per rule; empty leaves the section out.
    public var goals: [GoalReport.Row] = []

    /// An empty summary keeping at most `cardLimit` cards and charting days in `chartZone`.
    public init(cardLimit: Int = 2000, chartZone: Zone = .utc) {
        self.cardLimit = max(0, cardLimit)
        self.chartZone = chartZone
    }

    /// A summary of `records`, all of them offered as cards.
    public init(records: some Sequence<MessageRecord>, cardLimit: Int = 2000, chartZone: Zone = .utc) {
        self.init(cardLimit: cardLimit, chartZone: chartZone)
        for record in records { add(record) }
    }

    /// Counts `record`, and keeps it for a card when `card` is true and there is room.
    ///
    /// Pass `card: false` for records the page should count but not show (held-back messages when
    /// the user did not ask to see them).
    public mutating func add(_ record: MessageRecord, card: Bool = true) {
        recordCount += 1
        // Mutated in place through the defaulted subscript: copying a tally out and back would copy
        // its dictionaries on every record.
        switch record.decision {
        case .send:
            sent += 1
            rules[record.rule, default: RuleTally()].sent += 1
            if let channel = record.channel {
                rules[record.rule, default: RuleTally()].sentByChannel[channel, default: 0] += 1
                days[day(of: record.sendAt ?? record.dueAt), default: [:]][channel, default: 0] += 1
            }
        case .suppressed:
            suppressed += 1
            let reason = record.reason?.rawValue ?? "unknown"
            rules[record.rule, default: RuleTally()].suppressedByReason[reason, default: 0] += 1
        }
        guard card else { return }
        if cards.count < cardLimit {
            cards.append(record)
        } else {
            omittedCards += 1
        }
    }

    /// Days since 1970-01-01 of `instant` on the calendar of `chartZone`.
    func day(of instant: Instant) -> Int {
        let offset = chartZone.identifier == "UTC" ? 0 : Int64(chartZone.offset(at: instant))
        let seconds = instant.epochSeconds + offset
        return Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    /// The reasons that occur in any rule, in SPEC §6 order (unknown reasons last, by name).
    var reasonsSeen: [String] {
        var seen = Set<String>()
        for tally in rules.values { seen.formUnion(tally.suppressedByReason.keys) }
        let known = SuppressionReason.allCases.map(\.rawValue).filter { seen.contains($0) }
        return known + seen.subtracting(known).sorted()
    }

    /// The channels any rule sent on, in channel order.
    var channelsSeen: [Channel] {
        var seen = Set<Channel>()
        for tally in rules.values { seen.formUnion(tally.sentByChannel.keys) }
        return Channel.allCases.filter { seen.contains($0) }
    }
}
