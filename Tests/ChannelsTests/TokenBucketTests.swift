import Testing
import TouchpointCore

@testable import Channels

@Suite("Token bucket rate limit")
struct TokenBucketTests {
    @Test("a burst goes through at once, then sends are spaced at the rate")
    func burstThenRate() {
        var b = TokenBucket(rate: 10, burst: 3)
        let t = Instant(seconds: 100)
        #expect((0..<3).map { _ in b.take(now: t) } == [0, 0, 0])
        #expect(b.take(now: t) == 100)
        #expect(b.take(now: t) == 200)
    }

    @Test("tokens refill with time but never beyond the burst")
    func refill() {
        var b = TokenBucket(rate: 2, burst: 2)
        let t = Instant(seconds: 0)
        _ = b.take(now: t)
        _ = b.take(now: t)
        #expect(b.take(now: t + TimeSpan(seconds: 1)) == 0)
        #expect(b.take(now: t + TimeSpan(seconds: 1000)) == 0)
        #expect(b.take(now: t + TimeSpan(seconds: 1000)) == 0)
        #expect(b.take(now: t + TimeSpan(seconds: 1000)) == 500)
    }

    @Test("a clock that goes backwards does not mint tokens")
    func backwardsClock() {
        var b = TokenBucket(rate: 1, burst: 1)
        #expect(b.take(now: Instant(seconds: 10)) == 0)
        #expect(b.take(now: Instant(seconds: 5)) == 1000)
    }
}
