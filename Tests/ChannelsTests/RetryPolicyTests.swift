import Testing
import TouchpointCore

@testable import Channels

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 6, baseDelayMilliseconds: 1000, maxDelayMilliseconds: 8000)

    @Test("the backoff ceiling doubles per attempt and stops at the cap")
    func ceilingDoublesAndCaps() {
        #expect((1...6).map { policy.ceiling(afterAttempt: $0) } == [1000, 2000, 4000, 8000, 8000, 8000])
        #expect(policy.ceiling(afterAttempt: 500) == 8000)
    }

    @Test("full jitter draws within 0...ceiling and is reproducible from the seed")
    func fullJitter() {
        var a = SeededGenerator(seed: 7)
        var b = SeededGenerator(seed: 7)
        var seen: Set<Int64> = []
        for attempt in 1...200 {
            let d = policy.delay(afterAttempt: attempt % 6 + 1, retryAfter: nil, using: &a)
            #expect(d >= 0 && d <= policy.ceiling(afterAttempt: attempt % 6 + 1))
            #expect(d == policy.delay(afterAttempt: attempt % 6 + 1, retryAfter: nil, using: &b))
            seen.insert(d)
        }
        // Jitter, not a fixed schedule.
        #expect(seen.count > 50)
    }

    @Test("a peer's Retry-After replaces the backoff and is clamped to the limit")
    func retryAfterWinsAndIsClamped() {
        var rng = SeededGenerator(seed: 1)
        let p = RetryPolicy(retryAfterLimit: TimeSpan(seconds: 60))
        #expect(p.delay(afterAttempt: 1, retryAfter: TimeSpan(seconds: 3), using: &rng) == 3000)
        #expect(p.delay(afterAttempt: 1, retryAfter: TimeSpan(seconds: 86_400), using: &rng) == 60_000)
        #expect(p.delay(afterAttempt: 1, retryAfter: TimeSpan(seconds: -5), using: &rng) == 0)
    }

    @Test("attempts stop at maxAttempts; at least one attempt is always allowed")
    func attemptLimit() {
        #expect(policy.allowsAnother(after: 5))
        #expect(!policy.allowsAnother(after: 6))
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
        #expect(!RetryPolicy.once.allowsAnother(after: 1))
    }
}

@Suite("Retry schedules")
struct RetryScheduleTests {
    @Test("the standard schedule is Standard Webhooks': eight attempts, 5 s to 10 h apart, without jitter")
    func standard() {
        let p = RetryPolicy.standard
        var rng = SeededGenerator(seed: 3)
        let waits = (1...7).map { p.delay(afterAttempt: $0, retryAfter: nil, using: &rng) }
        #expect(waits == [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000])
        #expect(p.allowsAnother(after: 7))
        #expect(!p.allowsAnother(after: 8))
        #expect(p.delay(afterAttempt: 2, retryAfter: TimeSpan(seconds: 30), using: &rng) == 30_000)
    }

    @Test("max-age repeats the last wait until the waits add up past it, and cuts a longer schedule short")
    func maxAge() {
        let repeated = RetryPolicy(schedule: [TimeSpan(seconds: 10), .minutes(1)], maxAge: .minutes(5))
        // Waits 10 s, 1 m, 1 m, 1 m, 1 m add up to 4 m 10 s; one more would be 5 m 10 s.
        #expect((1...5).allSatisfy { repeated.allowsAnother(after: $0) })
        #expect(!repeated.allowsAnother(after: 6))
        let cut = RetryPolicy(schedule: RetryPolicy.standardSchedule, maxAge: .hours(24))
        #expect(cut.allowsAnother(after: 6))
        #expect(!cut.allowsAnother(after: 7), "the seventh wait would end past 24 h")
        #expect(!RetryPolicy(schedule: []).allowsAnother(after: 1))
        let zero = RetryPolicy(schedule: [TimeSpan(seconds: 0)], maxAge: .hours(1))
        #expect(zero.allowsAnother(after: 1) && !zero.allowsAnother(after: 2), "a zero wait never repeats")
    }
}

@Suite("Retry-After parsing")
struct RetryAfterTests {
    let now = Instant(seconds: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
    let limit = TimeSpan(seconds: 3600)

    @Test("delay-seconds are read as seconds")
    func seconds() {
        #expect(RetryAfter.parse("120", now: now, limit: limit) == TimeSpan(seconds: 120))
        #expect(RetryAfter.parse(" 0 ", now: now, limit: limit) == TimeSpan(seconds: 0))
    }

    @Test("huge values are clamped to the limit, not overflowed")
    func clamped() {
        #expect(RetryAfter.parse("999999999999999999999", now: now, limit: limit) == limit)
        #expect(RetryAfter.parse("86400", now: now, limit: limit) == limit)
    }

    @Test("IMF-fixdate, RFC 850 and asctime dates are relative to now")
    func httpDates() {
        #expect(
            RetryAfter.parse("Sun, 06 Nov 1994 08:50:07 GMT", now: now, limit: limit) == TimeSpan(seconds: 30)
        )
        #expect(
            RetryAfter.parse("Sunday, 06-Nov-94 08:51:37 GMT", now: now, limit: limit)
                == TimeSpan(seconds: 120))
        #expect(RetryAfter.parse("Sun Nov  6 08:49:47 1994", now: now, limit: limit) == TimeSpan(seconds: 10))
    }

    @Test("a date in the past means now")
    func pastDate() {
        #expect(RetryAfter.parse("Sat, 05 Nov 1994 08:49:37 GMT", now: now, limit: limit) == .zero)
    }

    @Test("garbage is not a Retry-After")
    func garbage() {
        #expect(RetryAfter.parse("soon", now: now, limit: limit) == nil)
        #expect(RetryAfter.parse("", now: now, limit: limit) == nil)
        #expect(RetryAfter.parse("-5", now: now, limit: limit) == nil)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 GMT", now: now, limit: limit) == nil)
    }
}
