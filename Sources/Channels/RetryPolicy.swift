import TouchpointCore

/// When to try again: a fixed schedule of waits (the daemon's default, Standard Webhooks' / Svix's), or
/// exponential backoff with full jitter (`send-test`); `Retry-After` honoured within a limit either way.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (with a schedule: its length + 1, unless set; beyond the schedule
    /// its last wait repeats). Not consulted when `maxAgeMilliseconds` is set.
    public var maxAttempts: Int
    /// The backoff ceiling of the first retry (exponential mode).
    public var baseDelayMilliseconds: Int64
    /// The backoff ceiling never exceeds this (exponential mode).
    public var maxDelayMilliseconds: Int64
    /// The longest a peer's `Retry-After` may make us wait.
    public var retryAfterLimit: TimeSpan
    /// The wait after each failed attempt, in order (the first entry follows the first attempt); `nil`:
    /// exponential backoff.
    public var scheduleMilliseconds: [Int64]?
    /// With a schedule: its last wait repeats until the waits add up to more than this, which ends the
    /// retries (so `maxAttempts` no longer counts). `nil`: the schedule's length decides.
    public var maxAgeMilliseconds: Int64?

    /// Standard Webhooks' / Svix's schedule: after the first attempt, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
    /// 10 h — eight attempts over about 27.6 hours, so an outage of a day is outlasted.
    public static let standardSchedule: [TimeSpan] = [
        TimeSpan(seconds: 5), .minutes(5), .minutes(30), .hours(2), .hours(5), .hours(10), .hours(10),
    ]

    /// The daemon's default: ``standardSchedule``, `Retry-After` up to 1 h.
    public static let standard = RetryPolicy(schedule: standardSchedule)

    /// An exponential policy; the defaults are 5 attempts, 1 s doubling up to 5 min, `Retry-After` up to 1 h.
    public init(
        maxAttempts: Int = 5, baseDelayMilliseconds: Int64 = 1000, maxDelayMilliseconds: Int64 = 300_000,
        retryAfterLimit: TimeSpan = .hours(1)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelayMilliseconds = max(0, baseDelayMilliseconds)
        self.maxDelayMilliseconds = max(0, maxDelayMilliseconds)
        self.retryAfterLimit = retryAfterLimit
        self.scheduleMilliseconds = nil
        self.maxAgeMilliseconds = nil
    }

    /// A scheduled policy: `schedule` are the waits after each failed attempt; with `maxAge` the last wait
    /// repeats until the waits add up to more than it. An empty schedule without `maxAge` is one attempt.
    public init(schedule: [TimeSpan], maxAge: TimeSpan? = nil, retryAfterLimit: TimeSpan = .hours(1)) {
        let waits = schedule.map { max(0, $0.seconds) * 1000 }
        self.scheduleMilliseconds = waits
        self.maxAgeMilliseconds = maxAge.map { max(0, $0.seconds) * 1000 }
        self.maxAttempts = waits.count + 1
        self.baseDelayMilliseconds = waits.first ?? 0
        self.maxDelayMilliseconds = waits.max() ?? 0
        self.retryAfterLimit = retryAfterLimit
    }

    /// No retries at all.
    public static let once = RetryPolicy(maxAttempts: 1)

    /// The scheduled wait after `attempt` failed attempts (1 = after the first), or the backoff ceiling.
    public func ceiling(afterAttempt attempt: Int) -> Int64 {
        if let waits = scheduleMilliseconds {
            guard let last = waits.last else { return 0 }
            let i = max(attempt - 1, 0)
            return i < waits.count ? waits[i] : last
        }
        let shift = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = baseDelayMilliseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maxDelayMilliseconds : min(scaled, maxDelayMilliseconds)
    }

    /// The wait before the next attempt: the peer's `Retry-After` clamped to the limit when it gave one,
    /// else the schedule's wait, or a uniformly random wait in `0...ceiling` (full jitter).
    public func delay(
        afterAttempt attempt: Int, retryAfter: TimeSpan?, using rng: inout some RandomNumberGenerator
    ) -> Int64 {
        if let after = retryAfter {
            return min(max(after.seconds, 0), retryAfterLimit.seconds) * 1000
        }
        let top = ceiling(afterAttempt: attempt)
        if scheduleMilliseconds != nil { return top }
        return top == 0 ? 0 : Int64.random(in: 0...top, using: &rng)
    }

    /// The schedule's waits up to and including the one after `attempt` failed attempts, added up: how long
    /// the message has been retried by the schedule's reckoning when the next attempt starts.
    public func scheduledAge(afterAttempt attempt: Int) -> Int64 {
        guard attempt >= 1 else { return 0 }
        var sum: Int64 = 0
        for a in 1...min(attempt, 10_000) {
            let (s, overflow) = sum.addingReportingOverflow(ceiling(afterAttempt: a))
            if overflow { return .max }
            sum = s
        }
        return sum
    }

    /// Whether another attempt is allowed after `attempt` attempts have been made.
    public func allowsAnother(after attempt: Int) -> Bool {
        if let maxAge = maxAgeMilliseconds, let waits = scheduleMilliseconds, !waits.isEmpty {
            // A zero last wait repeated forever would never end: such a schedule stops at its length.
            if waits.last == 0 && attempt > waits.count { return false }
            return scheduledAge(afterAttempt: attempt) <= maxAge
        }
        return attempt < maxAttempts
    }
}
