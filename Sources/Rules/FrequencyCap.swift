import TouchpointCore

/// The global cap on non-transactional messages per customer: at most `max` per `per`.
public struct FrequencyCap: Sendable, Hashable {
    /// Most messages allowed in any window of length `per`.
    public var max: Int
    /// The window length.
    public var per: TimeSpan

    /// A cap of `max` messages per `per`.
    public init(max: Int, per: TimeSpan) {
        self.max = max
        self.per = per
    }
}
