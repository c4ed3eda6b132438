import Channels
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore

/// Sends due outbox rows through their adapters and records every outcome.
///
/// A row is claimed (state `sending`, "attempt n started" committed) before any byte goes out, so a
/// crash mid-send is visible at the next start: `recoverInFlight` resends it where the peer deduplicates
/// by id and marks it `unknown` where it cannot. Transient failures are retried with backoff and full
/// jitter until the retry policy gives up (dead letter); permanent ones are dead at once.
actor Dispatcher: Service {
    private let store: any StateStore
    private var adapters: [String: any ChannelAdapter]
    private let options: DaemonOptions
    private let logger: Logger
    private let wakeup: Wakeup
    private let clock: @Sendable () -> Instant
    /// Channels whose endpoint answered 410 Gone: nothing more is sent there until a restart.
    private var disabled: Set<String> = []

    init(
        store: any StateStore, adapters: Adapters, options: DaemonOptions, logger: Logger, wakeup: Wakeup,
        clock: @escaping @Sendable () -> Instant
    ) {
        self.store = store
        var byChannel: [String: any ChannelAdapter] = [:]
        for (channel, adapter) in adapters.byChannel { byChannel[channel.rawValue] = adapter }
        self.adapters = byChannel
        self.options = options
        self.logger = logger
        self.wakeup = wakeup
        self.clock = clock
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let rows = try await store.claimDue(now: clock(), limit: options.concurrency, leaseOwner: options.leaseOwner)
            if rows.isEmpty {
                var sleep = options.pollMilliseconds * 5
                if let next = try await store.nextDueAt() {
                    sleep = min(sleep, max(1, next.milliseconds - clock().milliseconds))
                }
                let wakeup = self.wakeup
                await withGracefulShutdownHandler {
                    await wakeup.wait(milliseconds: sleep)
                } onGracefulShutdown: {
                    wakeup.signal()
                }
                continue
            }
            // In-flight sends finish even during a graceful shutdown: their outcome must be recorded.
            await withTaskGroup(of: (OutboxRow, DeliveryOutcome).self) { group in
                for row in rows {
                    let adapter = adapters[row.channel]
                    let blocked = disabled.contains(row.channel)
                    group.addTask {
                        guard let adapter else {
                            return (row, .permanent(answer: "no adapter for channel '\(row.channel)'"))
                        }
                        if blocked { return (row, .disableEndpoint(answer: "endpoint disabled earlier (410 Gone)")) }
                        guard let request = try? JSONDecoder().decode(PreparedRequest.self, from: row.prepared) else {
                            return (row, .permanent(answer: "prepared request is unreadable"))
                        }
                        return (row, await adapter.send(request))
                    }
                }
                for await (row, outcome) in group {
                    await record(row, outcome)
                }
            }
        }
        logger.info("dispatcher stopped")
    }

    private func record(_ row: OutboxRow, _ outcome: DeliveryOutcome) async {
        let now = clock()
        let attempt = row.attempts - row.attemptsAtRequeue
        var metadata: Logger.Metadata = [
            "message.id": "\(row.messageId)", "channel": "\(row.channel)", "attempt": "\(attempt)",
        ]
        let stored: OutboxOutcome
        switch outcome {
        case .delivered(let providerId, let answer):
            stored = .delivered(providerId: providerId, answer: answer)
            if let providerId { metadata["provider.id"] = "\(providerId)" }
            logger.info("delivered", metadata: metadata)
        case .retry(let after, let answer):
            if options.retry.allowsAnother(after: attempt) {
                var rng = SeededGenerator(seed: StableID.seed(row.messageId + "/\(row.attempts)"))
                let wait = options.retry.delay(afterAttempt: attempt, retryAfter: after, using: &rng)
                stored = .retry(at: Instant(milliseconds: now.milliseconds + wait), answer: answer)
                logger.notice("transient failure, retrying in \(wait) ms: \(answer)", metadata: metadata)
            } else {
                stored = .dead(reason: "gave up after \(attempt) attempts", answer: answer)
                logger.error("dead letter after \(attempt) attempts: \(answer)", metadata: metadata)
            }
        case .ambiguous(let answer):
            stored = .unknown(answer: answer)
            logger.error("outcome unknown (not re-sent): \(answer)", metadata: metadata)
        case .permanent(let answer):
            stored = .dead(reason: "permanent failure", answer: answer)
            logger.error("permanent failure: \(answer)", metadata: metadata)
        case .disableEndpoint(let answer):
            disabled.insert(row.channel)
            stored = .dead(reason: "endpoint disabled", answer: answer)
            logger.error("endpoint gone, channel \(row.channel) disabled until restart: \(answer)", metadata: metadata)
        }
        do {
            try await store.recordOutcome(messageId: row.messageId, outcome: stored, at: now)
        } catch {
            logger.critical("cannot record outcome: \(error)", metadata: metadata)
        }
    }
}
