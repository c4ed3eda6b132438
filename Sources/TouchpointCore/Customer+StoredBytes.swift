// The binary layout of the values a customer's stored state holds (see `CustomerState` in Engine): written
// field by field in a fixed order; a change of layout is a new version tag on the whole state.

extension Channel {
    /// The channel's name (not an index: a new case must not renumber the stored ones).
    public func write(to w: inout StoredBytesWriter) { w.string(rawValue) }

    public init(from r: inout StoredBytesReader) throws {
        let name = try r.string()
        guard let c = Channel(rawValue: name) else { throw r.fail("unknown channel '\(name)'") }
        self = c
    }
}

extension Customer {
    /// id, traits, opt-outs, last activity, engagement (its packed bytes), blocked addresses, soft bounces.
    public func write(to w: inout StoredBytesWriter) {
        w.string(id)
        w.object(traits)
        w.count(optedOut.count)
        for c in optedOut.sorted() { c.write(to: &w) }
        w.bool(optedOutAll)
        w.optional(lastActivity) { $0.instant($1) }
        w.run(engagement.bytes)
        w.count(blockedAddresses.count)
        for (channel, addresses) in blockedAddresses.sorted(by: { $0.key < $1.key }) {
            channel.write(to: &w)
            w.count(addresses.count)
            for a in addresses.sorted() { w.string(a) }
        }
        w.count(softBounces.count)
        for (channel, run) in softBounces.sorted(by: { $0.key < $1.key }) {
            channel.write(to: &w)
            w.string(run.address)
            w.signed(Int64(run.count))
        }
    }

    public init(from r: inout StoredBytesReader) throws {
        self.init(id: try r.string(), traits: try r.object())
        for _ in 0..<(try r.count()) { optedOut.insert(try Channel(from: &r)) }
        optedOutAll = try r.bool()
        lastActivity = try r.optional { try $0.instant() }
        // As from JSON: bytes that are not a valid engagement layout read as none (a model, rebuilt by events).
        engagement = Engagement(packed: try r.run()) ?? Engagement()
        for _ in 0..<(try r.count()) {
            let channel = try Channel(from: &r)
            var addresses = Set<String>()
            for _ in 0..<(try r.count()) { addresses.insert(try r.string()) }
            blockedAddresses[channel] = addresses
        }
        for _ in 0..<(try r.count()) {
            let channel = try Channel(from: &r)
            softBounces[channel] = SoftBounceRun(address: try r.string(), count: try r.int())
        }
    }
}

extension Event {
    /// kind, name, userId, messageId, timestamp, properties, traits, source.
    public func write(to w: inout StoredBytesWriter) {
        switch kind {
        case .track: w.byte(0)
        case .identify: w.byte(1)
        case .other(let s):
            w.byte(2)
            w.string(s)
        }
        w.optional(name) { $0.string($1) }
        w.string(userId)
        w.optional(messageId) { $0.string($1) }
        w.instant(timestamp.instant)
        w.signed(Int64(timestamp.offsetSeconds))
        w.object(properties)
        w.object(traits)
        w.optional(source) { w, s in
            w.string(s.file)
            w.signed(Int64(s.line))
            w.signed(Int64(s.column))
        }
    }

    public init(from r: inout StoredBytesReader) throws {
        let kind: Kind
        switch try r.byte() {
        case 0: kind = .track
        case 1: kind = .identify
        case 2: kind = .other(try r.string())
        default: throw r.fail("unknown event kind")
        }
        let name = try r.optional { try $0.string() }
        let userId = try r.string()
        let messageId = try r.optional { try $0.string() }
        let instant = try r.instant()
        guard let offset = Int32(exactly: try r.signed()) else { throw r.fail("UTC offset out of range") }
        self.init(
            kind: kind, name: name, userId: userId, messageId: messageId,
            timestamp: Timestamp(instant: instant, offsetSeconds: offset), properties: try r.object(),
            traits: try r.object(),
            source: try r.optional { r in
                SourceLocation(file: try r.string(), line: try r.int(), column: try r.int())
            })
    }
}
