import Foundation
import TouchpointCore

/// What delivering one message came to, after any retries.
public struct DeliveryReport: Sendable, Hashable {
    /// The last attempt's outcome.
    public var outcome: DeliveryOutcome
    /// Attempts made (0 when the message could not even be prepared).
    public var attempts: Int
    /// The waits between attempts, in milliseconds.
    public var delaysMilliseconds: [Int64]
    /// The request sent, when preparing succeeded.
    public var request: PreparedRequest?
}

/// Delivering a message through an adapter with retries: the one call a command like `send-test` needs.
public enum Delivery {
    /// Prepares `message` once and sends it, retrying transient failures per `retries`.
    ///
    /// Jitter is seeded from the message id unless `seed` is given, so the waits are reproducible.
    /// `sleep` waits the given milliseconds; tests pass one that records instead.
    public static func deliver(
        _ message: OutboundMessage, via adapter: any ChannelAdapter, retries: RetryPolicy = RetryPolicy(),
        now: Instant = Delivery.wallClock(), seed: UInt64? = nil,
        sleep: @Sendable (Int64) async -> Void = Delivery.taskSleep
    ) async -> DeliveryReport {
        let request: PreparedRequest
        do {
            request = try adapter.prepare(message, now: now)
        } catch {
            return DeliveryReport(
                outcome: .permanent(answer: "cannot prepare: \(error)"), attempts: 0, delaysMilliseconds: [],
                request: nil)
        }
        return await deliver(
            request, via: adapter, retries: retries, seed: seed ?? StableID.seed(message.messageId),
            sleep: sleep)
    }

    /// Sends an already prepared (possibly persisted) request, retrying transient failures per `retries`.
    public static func deliver(
        _ request: PreparedRequest, via adapter: any ChannelAdapter, retries: RetryPolicy = RetryPolicy(),
        seed: UInt64, sleep: @Sendable (Int64) async -> Void = Delivery.taskSleep
    ) async -> DeliveryReport {
        var rng = SeededGenerator(seed: seed)
        var attempts = 0
        var delays: [Int64] = []
        while true {
            let outcome = await adapter.send(request)
            attempts += 1
            guard case .retry(let after, _) = outcome, retries.allowsAnother(after: attempts) else {
                return DeliveryReport(
                    outcome: outcome, attempts: attempts, delaysMilliseconds: delays, request: request)
            }
            let wait = retries.delay(afterAttempt: attempts, retryAfter: after, using: &rng)
            delays.append(wait)
            await sleep(wait)
        }
    }

    /// The wall clock as an ``Instant``.
    public static func wallClock() -> Instant {
        Instant(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// Sleeps on the task (cancellation ends the wait early).
    public static func taskSleep(_ milliseconds: Int64) async {
        try? await Task.sleep(nanoseconds: UInt64(max(0, milliseconds)) * 1_000_000)
    }
}
