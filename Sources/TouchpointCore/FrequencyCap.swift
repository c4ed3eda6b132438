/// At most `max` non-transactional messages per customer in any span of `per` (SPEC §6 `frequency-cap`):
/// the config's value and the scheduler's setting are the same type.
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
