/// What ``StateStore/recoverInFlight(resendable:at:)`` did with rows a crash left in `sending`.
public struct RecoveryReport: Sendable, Hashable {
    /// Rows put back to `pending` (their peer deduplicates by id), sorted.
    public var requeued: [String]
    /// Rows marked `unknown` (their peer cannot deduplicate), sorted.
    public var unknown: [String]

    /// A report.
    public init(requeued: [String] = [], unknown: [String] = []) {
        self.requeued = requeued
        self.unknown = unknown
    }

    /// Whether anything was in flight.
    public var isEmpty: Bool { requeued.isEmpty && unknown.isEmpty }
}
