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

    /// Sends in flight, in all and per channel.
    private var inFlight = 0
    private var inFlightByChannel: [String: Int] = [:]

    /// The most sends one channel may have in flight: a peer that hangs holds its slots until the
    /// transfer times out, and must not hold every slot, or the other channels stop too.
    private var perChannelLimit: Int { max(1, options.concurrency - options.concurrency / 4) }

    func run() async throws {
        var failure: (any Error)?
        // A sliding window rather than claim-a-batch-then-wait-for-all: one slow send must not hold
        // back the rows claimed with it, nor the ones due after it.
        // In-flight sends finish even during a graceful shutdown: their outcome must be recorded.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let saturated = Set(inFlightByChannel.filter { $0.value >= perChannelLimit }.keys)
                // One claim may bring rows of a single channel only: it stays within that channel's share.
                let busiest = inFlightByChannel.filter { !saturated.contains($0.key) }.values.max() ?? 0
                let free = min(options.concurrency - inFlight, perChannelLimit - busiest)
                var claimed = 0
                if free > 0 {
                    do {
                        let rows = try await store.claimDue(
                            now: clock(), limit: free, leaseOwner: options.leaseOwner, excludingChannels: saturated)
                        claimed = rows.count
                        for row in rows { start(row, in: &group) }
                    } catch {
                        failure = error
                        break
                    }
                }
                if free > 0 && claimed == free { continue }
                // Nothing more to claim now: sleep until a send finishes, new rows arrive, or the next is due.
                var sleep = options.pollMilliseconds * 5
                do {
                    if let next = try await store.nextDueAt(), next.milliseconds > clock().milliseconds {
                        sleep = min(sleep, next.milliseconds - clock().milliseconds)
                    }
                } catch {
                    failure = error
                    break
                }
                let wakeup = self.wakeup
                await withGracefulShutdownHandler {
                    await wakeup.wait(milliseconds: sleep)
                } onGracefulShutdown: {
                    wakeup.signal()
                }
            }
        }
        if let failure { throw failure }
        logger.info("dispatcher stopped")
    }

    private func start(_ row: OutboxRow, in group: inout DiscardingTaskGroup) {
        inFlight += 1
        inFlightByChannel[row.channel, default: 0] += 1
        let adapter = adapters[row.channel]
        let blocked = disabled.contains(row.channel)
        group.addTask {
            let outcome: DeliveryOutcome
            if let adapter {
                if blocked {
                    outcome = .disableEndpoint(answer: "endpoint disabled earlier (410 Gone)")
                } else if let request = try? JSONDecoder().decode(PreparedRequest.self, from: row.prepared) {
                    outcome = await adapter.send(request)
                } else {
                    outcome = .permanent(answer: "prepared request is unreadable")
                }
            } else {
                outcome = .permanent(answer: "no adapter for channel '\(row.channel)'")
            }
            await self.finish(row, outcome)
        }
    }

    private func finish(_ row: OutboxRow, _ outcome: DeliveryOutcome) async {
        await record(row, outcome)
        inFlight -= 1
        inFlightByChannel[row.channel, default: 1] -= 1
        wakeup.signal()
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
