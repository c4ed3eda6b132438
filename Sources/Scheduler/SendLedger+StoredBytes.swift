import TouchpointCore

// The ledger's part of a customer's stored state (see `CustomerState` in Engine).
extension SendLedger {
    /// The entries in order: message id, rule, channel, time, transactional.
    public func write(to w: inout StoredBytesWriter) {
        w.count(entries.count)
        for e in entries {
            w.string(e.messageId)
            w.string(e.rule)
            e.channel.write(to: &w)
            w.instant(e.at)
            w.bool(e.transactional)
        }
    }

    public init(from r: inout StoredBytesReader) throws {
        self.init()
        let n = try r.count()
        entries.reserveCapacity(n)
        for _ in 0..<n {
            entries.append(
                Entry(
                    messageId: try r.string(), rule: try r.string(), channel: try Channel(from: &r),
                    at: try r.instant(), transactional: try r.bool()))
        }
    }
}
