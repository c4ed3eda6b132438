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

    public init(id: String, traits: [String: JSONValue] = [:]) {
        self.id = id
        self.traits = traits
        self.optedOut = []
        self.optedOutAll = false
        self.lastActivity = nil
        self.engagement = Engagement()
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
