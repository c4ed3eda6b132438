/// What Touchpoint knows about one customer: traits, consent, engagement.
public struct Customer: Sendable, Hashable, Codable {
    public var id: String
    /// Merged `identify` traits (later values win; `null` removes).
    public var traits: [String: JSONValue]
    /// Channels the customer opted out of (`Unsubscribed` with a channel).
    public var optedOut: Set<Channel>
    /// `Unsubscribed` with channel `all`: every non-transactional message is off.
    public var optedOutAll: Bool
    /// The last `track` activity that counts for `when.inactive`.
    public var lastActivity: Instant?
    public var engagement: Engagement
    /// Addresses never sent to again, per channel: a hard bounce, a complaint, or
    /// ``softBounceLimit`` soft bounces in a row. Kept by address, so a corrected address starts clean.
    public var blockedAddresses: [Channel: Set<String>] = [:]
    /// The current run of soft bounces per channel, with the address it is for.
    public var softBounces: [Channel: SoftBounceRun] = [:]

    /// Soft bounces in a row that block an address, as a hard bounce does.
    public static let softBounceLimit = 3

    /// Consecutive soft bounces on one address; a delivery, an open or a click ends the run.
    public struct SoftBounceRun: Sendable, Hashable, Codable {
        public var address: String
        public var count: Int

        public init(address: String, count: Int) {
            self.address = address
            self.count = count
        }
    }

    public init(id: String, traits: [String: JSONValue] = [:]) {
        self.id = id
        self.traits = traits
        self.optedOut = []
        self.optedOutAll = false
        self.lastActivity = nil
        self.engagement = Engagement()
    }

    /// Whether the customer's current address on `channel` bounced or complained: nothing, not even a
    /// transactional message, goes there again.
    public func isBlocked(_ channel: Channel) -> Bool {
        guard let address = address(for: channel), let blocked = blockedAddresses[channel] else {
            return false
        }
        return blocked.contains(address)
    }

    /// Merges `identify` traits: later values win, `null` removes the trait.
    public mutating func merge(traits new: [String: JSONValue]) {
        for (k, v) in new {
            if v.isNull { traits.removeValue(forKey: k) } else { traits[k] = v }
        }
    }

    /// The address for `channel` (`email`, `phone`, `chat_id`), if the customer has a non-empty one.
    public func address(for channel: Channel) -> String? {
        switch traits[channel.addressTrait] {
        case .string(let s) where !s.isEmpty: return s
        case .number(let n) where channel == .chat: return JSONValue.format(number: n)
        default: return nil
        }
    }

    /// The IANA timezone name from the `timezone` trait.
    public var timezone: String? { traits["timezone"]?.stringValue }

    /// The BCP 47 locale from the `locale` trait.
    public var locale: String? { traits["locale"]?.stringValue }

    /// The `customer` variable that expressions and templates see: `id` and every trait.
    public var contextValue: JSONValue {
        var o = traits
        o["id"] = .string(id)
        return .object(o)
    }
}

extension Customer {
    private enum CodingKeys: String, CodingKey {
        case id, traits, optedOut, optedOutAll, lastActivity, engagement, blockedAddresses, softBounces
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        traits = try c.decode([String: JSONValue].self, forKey: .traits)
        optedOut = try c.decode(Set<Channel>.self, forKey: .optedOut)
        optedOutAll = try c.decode(Bool.self, forKey: .optedOutAll)
        lastActivity = try c.decodeIfPresent(Instant.self, forKey: .lastActivity)
        engagement = try c.decode(Engagement.self, forKey: .engagement)
        // Absent in state written before bounces were handled.
        blockedAddresses =
            try c.decodeIfPresent([Channel: Set<String>].self, forKey: .blockedAddresses) ?? [:]
        softBounces = try c.decodeIfPresent([Channel: SoftBounceRun].self, forKey: .softBounces) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(traits, forKey: .traits)
        try c.encode(optedOut, forKey: .optedOut)
        try c.encode(optedOutAll, forKey: .optedOutAll)
        try c.encodeIfPresent(lastActivity, forKey: .lastActivity)
        try c.encode(engagement, forKey: .engagement)
        if !blockedAddresses.isEmpty { try c.encode(blockedAddresses, forKey: .blockedAddresses) }
        if !softBounces.isEmpty { try c.encode(softBounces, forKey: .softBounces) }
    }
}
