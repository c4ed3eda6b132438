import TouchpointCore

/// One customer's messages already scheduled or sent, for `once-per` limits and the frequency cap.
public struct SendLedger: Sendable, Hashable, Codable {
    /// One scheduled or sent message.
    public struct Entry: Sendable, Hashable, Codable {
        /// The message's stable id.
        public var messageId: String
        /// The rule that produced it.
        public var rule: String
        /// The channel it goes out on.
        public var channel: Channel
        /// Its send time (possibly in the future).
        public var at: Instant
        /// Whether it was transactional (those never count towards the frequency cap).
        public var transactional: Bool

        /// An entry.
        public init(messageId: String, rule: String, channel: Channel, at: Instant, transactional: Bool) {
            self.messageId = messageId
            self.rule = rule
            self.channel = channel
            self.at = at
            self.transactional = transactional
        }
    }

    /// The entries, in the order they were recorded.
    public internal(set) var entries: [Entry] = []

    /// An empty ledger.
    public init() {}

    /// Records a message; an earlier entry with the same message id is replaced.
    public mutating func record(_ entry: Entry) {
        entries.removeAll { $0.messageId == entry.messageId }
        entries.append(entry)
    }

    /// Records a message; see ``record(_:)``.
    public mutating func record(
        messageId: String, rule: String, channel: Channel, at: Instant, transactional: Bool
    ) {
        record(
            Entry(messageId: messageId, rule: rule, channel: channel, at: at, transactional: transactional))
    }

    /// Forgets a message that was cancelled before it went out; returns its entry if there was one.
    @discardableResult
    public mutating func remove(messageId: String) -> Entry? {
        guard let i = entries.firstIndex(where: { $0.messageId == messageId }) else { return nil }
        return entries.remove(at: i)
    }

    /// Drops entries sent before `instant`; the engine calls this with `now - longest window` to bound memory.
    public mutating func prune(before instant: Instant) {
        entries.removeAll { $0.at < instant }
    }

    /// Messages of `rule` strictly after `since` (future ones included), not counting `excluding`.
    public func count(rule: String, after since: Instant, excluding messageId: String? = nil) -> Int {
        var n = 0
        for e in entries where e.rule == rule && e.at > since && e.messageId != messageId { n += 1 }
        return n
    }

    /// Non-transactional messages strictly after `since` (future ones included), not counting `excluding`.
    public func countNonTransactional(after since: Instant, excluding messageId: String? = nil) -> Int {
        var n = 0
        for e in entries where !e.transactional && e.at > since && e.messageId != messageId { n += 1 }
        return n
    }

    /// Whether the ledger is empty.
    public var isEmpty: Bool { entries.isEmpty }
}
