import TouchpointCore

/// When to try again: exponential backoff with full jitter, capped, and `Retry-After` honoured within a limit.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The backoff ceiling of the first retry.
    public var baseDelayMilliseconds: Int64
    /// The backoff ceiling never exceeds this.
    public var maxDelayMilliseconds: Int64
    /// The longest a peer's `Retry-After` may make us wait.
    public var retryAfterLimit: TimeSpan

    /// A policy; the defaults are 5 attempts, 1 s doubling up to 5 min, `Retry-After` up to 1 h.
    public init(
        maxAttempts: Int = 5, baseDelayMilliseconds: Int64 = 1000, maxDelayMilliseconds: Int64 = 300_000,
        retryAfterLimit: TimeSpan = .hours(1)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelayMilliseconds = max(0, baseDelayMilliseconds)
        self.maxDelayMilliseconds = max(0, maxDelayMilliseconds)
        self.retryAfterLimit = retryAfterLimit
    }

    /// No retries at all.
    public static let once = RetryPolicy(maxAttempts: 1)

    /// The backoff ceiling after `attempt` failed attempts (1 = after the first): base × 2^(attempt-1), capped.
    public func ceiling(afterAttempt attempt: Int) -> Int64 {
        let shift = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = baseDelayMilliseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maxDelayMilliseconds : min(scaled, maxDelayMilliseconds)
    }

    /// The wait before the next attempt: the peer's `Retry-After` clamped to the limit when it gave one,
    /// else a uniformly random wait in `0...ceiling` (full jitter).
    public func delay(
        afterAttempt attempt: Int, retryAfter: TimeSpan?, using rng: inout some RandomNumberGenerator
    ) -> Int64 {
        if let after = retryAfter {
            return min(max(after.seconds, 0), retryAfterLimit.seconds) * 1000
        }
        let top = ceiling(afterAttempt: attempt)
        return top == 0 ? 0 : Int64.random(in: 0...top, using: &rng)
    }

    /// Whether another attempt is allowed after `attempt` attempts have been made.
    public func allowsAnother(after attempt: Int) -> Bool { attempt < maxAttempts }
}
