import TouchpointCore

/// A per-channel send rate limit: `rate` messages per second on average, bursts up to `burst`. Pure: time is
/// passed in, and the answer is how long to wait before sending.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second.
    public let rate: Double
    /// The most tokens the bucket holds.
    public let burst: Double
    private var tokens: Double
    private var last: Instant?

    /// A full bucket. `rate` must be positive; `burst` defaults to one second's worth (at least 1).
    public init(rate: Double, burst: Double? = nil) {
        self.rate = max(rate, 0.000_001)
        self.burst = max(burst ?? rate, 1)
        tokens = self.burst
    }

    /// Takes one token at `now`: 0 when one was available, else the milliseconds to wait until it is
    /// (the token is reserved, so calls in a row queue up behind each other).
    public mutating func take(now: Instant) -> Int64 {
        refill(now: now)
        tokens -= 1
        if tokens >= 0 { return 0 }
        return Int64((-tokens / rate * 1000).rounded(.up))
    }

    /// Whole tokens available at `now`: how many sends may start at once without waiting.
    public mutating func available(now: Instant) -> Int {
        refill(now: now)
        return tokens >= 1 ? Int(tokens.rounded(.down)) : 0
    }

    /// Milliseconds from `now` until a whole token is available (0 when one is).
    public mutating func millisecondsUntilNext(now: Instant) -> Int64 {
        refill(now: now)
        return tokens >= 1 ? 0 : Int64(((1 - tokens) / rate * 1000).rounded(.up))
    }

    private mutating func refill(now: Instant) {
        if let last, now > last {
            tokens = min(burst, tokens + Double(now.milliseconds - last.milliseconds) / 1000 * rate)
        }
        if last == nil || now > last! { last = now }
    }
}
