/// How engagement is recorded: the local zone hours are read in, how fast behaviour loses weight, and how
/// long after a send an open or click still counts as its response.
public struct EngagementPolicy: Sendable, Hashable {
    /// An observation this old counts half. `.zero` switches decay off.
    public var halfLife: TimeSpan
    /// An open or click later than this after a send is not credited to that send.
    public var attributionWindow: TimeSpan
    /// The zone for customers without a valid `timezone` trait.
    public var defaultZone: Zone

    /// A policy; the defaults match the scheduler's.
    public init(
        halfLife: TimeSpan = .days(180), attributionWindow: TimeSpan = .days(3), defaultZone: Zone = .utc
    ) {
        self.halfLife = halfLife
        self.attributionWindow = attributionWindow
        self.defaultZone = defaultZone
    }

    /// 180-day half-life, 3-day attribution, UTC.
    public static let standard = EngagementPolicy()

    /// The zone `customer`'s local hours are read in: the `timezone` trait when it names a zone, else
    /// ``defaultZone``.
    public func zone(for customer: Customer) -> Zone {
        if let name = customer.timezone, let zone = Zone(name) { return zone }
        return defaultZone
    }
}
