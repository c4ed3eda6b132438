import Channels
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore
import Tracking

/// Sends due outbox rows through their adapters and records every outcome.
///
/// A row is claimed (state `sending`, "attempt n started" committed) before any byte goes out, so a
/// crash mid-send is visible at the next start: `recoverInFlight` resends it where the peer deduplicates
/// by id and marks it `unknown` where it cannot. Transient failures are retried with backoff and full
/// jitter until the retry policy gives up (dead letter); permanent ones are dead at once.
///
/// Outcomes are committed in groups: each store transaction records every outcome that arrived since the
/// previous one and, in the same transaction, claims rows for the slots those outcomes free. One commit (one
/// WAL sync) then serves many messages instead of two per message. A slot stays taken until its outcome is
/// committed, so at most `concurrency` rows are ever claimed and unsettled.
actor Dispatcher: Service {
    private let store: any StateStore
    /// The adapters, replaced by a successful reload.
    private let live: LiveAdapters
    private let options: DaemonOptions
    private let logger: Logger
    private let wakeup: Wakeup
    private let clock: @Sendable () -> Instant
    private let telemetry: Telemetry?
    /// Channels whose endpoint answered 410 Gone: nothing more is sent there until their configuration
    /// changes or `touchpoint outbox enable CHANNEL`; kept in the store.
    private var disabled = DisabledEndpoints()
    /// `disabled` changed and is not written to the store yet.
    private var disabledDirty = false
    /// When the store's copy of `disabled` was last read (an operator may enable one beside the daemon).
    private var disabledReadAt: Int64 = .min
    /// The adapters' generation `disabled` was last reconciled with.
    private var reconciledGeneration = -1

    /// Where a permanent failure is recorded as a `Message Failed` event (the engine's fallback hears it).
    private let feedback: EventRecorder?
    /// The paced channels' token buckets (`rate`, `burst`): a row is claimed only with a token in hand,
    /// so the rest wait in the outbox.
    private var pacer: Pacer

    init(
        store: any StateStore, adapters: LiveAdapters, options: DaemonOptions, logger: Logger, wakeup: Wakeup,
        telemetry: Telemetry? = nil, feedback: EventRecorder? = nil, clock: @escaping @Sendable () -> Instant
    ) {
        self.store = store
        self.feedback = feedback
        self.telemetry = telemetry
        self.live = adapters
        self.pacer = Pacer(adapters.current.adapters.pacing)
        self.options = options
        self.logger = logger
        self.wakeup = wakeup
        self.clock = clock
    }

    /// Claimed rows whose outcome is not committed yet, in all and per channel.
    private var inFlight = 0
    private var inFlightByChannel: [String: Int] = [:]
    /// Outcomes of finished sends waiting for the next transaction, with their channel.
    private var settled: [(attempt: SettledAttempt, channel: String)] = []

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
                do {
                    if try await cycle(claiming: true, in: &group) { continue }
                    try await sleepUntilDue()
                } catch {
                    failure = error
                    break
                }
            }
            // Keep committing outcomes while the last sends finish. At the shutdown bound the sends still in
            // flight are cut (a peer that takes 20 s must not hold the exit past it); each then ends as an
            // aborted transfer and is recorded by the usual rule: re-queued where the peer deduplicates or
            // nothing went out, `unknown` where it may have arrived.
            let cutAt = clock().milliseconds + options.shutdownGraceMilliseconds
            var cut = false
            while failure == nil && inFlight > 0 && !Task.isCancelled {
                do {
                    let left = cutAt - clock().milliseconds
                    if !cut && left <= 0 {
                        cut = true
                        logger.warning("shutdown bound reached: cutting \(inFlight) send(s) in flight")
                        group.cancelAll()
                    }
                    if settled.isEmpty {
                        await wakeup.wait(
                            milliseconds: cut
                                ? options.pollMilliseconds : min(options.pollMilliseconds, max(1, left)))
                    }
                    _ = try await cycle(claiming: false, in: &group)
                } catch {
                    failure = error
                }
            }
        }
        // After a cancellation the group has waited for its sends; record what they did (a recording
        // write finishes even when cancelled).
        if failure == nil && !settled.isEmpty {
            do {
                _ = try await store.settleAndClaim(
                    settled.map(\.attempt), now: clock(), limit: 0, leaseOwner: options.leaseOwner,
                    excludingChannels: [])
                settled.removeAll()
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        logger.info("dispatcher stopped")
    }

    /// One store transaction: commits the outcomes gathered since the last one and, when `claiming`, claims
    /// rows for the free slots. Returns whether to go again at once: the claim filled every free slot (more
    /// may be due) or new outcomes arrived meanwhile.
    private func cycle(claiming: Bool, in group: inout DiscardingTaskGroup) async throws -> Bool {
        try await refreshDisabled()
        let batch = settled
        settled.removeAll(keepingCapacity: true)
        // The slots of the outcomes in this batch are free once it commits, so the claim in the same
        // transaction may use them.
        var busy = inFlightByChannel
        for s in batch { busy[s.channel, default: 1] -= 1 }
        let active = inFlight - batch.count
        var saturated = Set(busy.filter { $0.value >= perChannelLimit }.keys)
        // One claim may bring rows of a single channel only: it stays within that channel's share.
        let busiest = busy.filter { !saturated.contains($0.key) }.values.max() ?? 0
        var free = claiming ? max(0, min(options.concurrency - active, perChannelLimit - busiest)) : 0
        var pacedTurnNext = false
        if claiming && !pacer.isEmpty {
            let paced = pacer.limit(free: free, now: clock())
            saturated.formUnion(paced.excluded)
            free = paced.free
            pacedTurnNext = paced.again
        }
        guard !batch.isEmpty || free > 0 else { return false }
        let result: ClaimCycle
        do {
            result = try await store.settleAndClaim(
                batch.map(\.attempt), now: clock(), limit: free, leaseOwner: options.leaseOwner,
                excludingChannels: saturated)
        } catch {
            // The transaction rolled back: these outcomes are still unrecorded.
            settled.insert(contentsOf: batch, at: 0)
            throw error
        }
        inFlight -= batch.count
        for s in batch { inFlightByChannel[s.channel, default: 1] -= 1 }
        for refusal in result.refused {
            let id: String =
                switch refusal {
                case .unknownMessage(let id), .notInFlight(let id, _): id
                case .corrupt, .replaced, .io, .inUse, .fenced: "?"
                }
            logger.critical("cannot record outcome: \(refusal)", metadata: ["message.id": "\(id)"])
        }
        for id in result.expired {
            logger.notice("dropped at claim: window-expired", metadata: ["message.id": "\(id)"])
        }
        if !pacer.isEmpty {
            let now = clock()
            for row in result.claimed { pacer.take(row.channel, now: now) }
        }
        for row in result.claimed { start(row, in: &group) }
        return (free > 0 && result.claimed.count == free) || !settled.isEmpty || pacedTurnNext
    }

    /// Keeps `disabled` true to the store and the config: writes a new 410 down, reads the store's copy
    /// again every second while something is disabled (`touchpoint outbox enable` beside the daemon), and
    /// enables a channel whose configuration changed since its 410 (a reload, or a restart).
    private func refreshDisabled() async throws {
        let now = clock().milliseconds
        let (adapters, generation) = live.current
        if disabledDirty {
            // The store's copy may have lost an entry to `outbox enable` meanwhile; ours only adds.
            var stored = try await DisabledEndpoints.load(from: store)
            for (channel, entry) in disabled.channels where stored.channels[channel] == nil {
                stored.channels[channel] = entry
            }
            disabled = stored
            try await disabled.save(to: store)
            disabledDirty = false
            disabledReadAt = now
        } else if reconciledGeneration < 0 || (!disabled.channels.isEmpty && now - disabledReadAt >= 1000) {
            let stored = try await DisabledEndpoints.load(from: store)
            for channel in disabled.channels.keys where stored.channels[channel] == nil {
                logger.notice(
                    "channel \(channel) enabled again (touchpoint outbox enable)",
                    metadata: ["channel": "\(channel)"])
            }
            disabled = stored
            disabledReadAt = now
        }
        guard generation != reconciledGeneration else { return }
        reconciledGeneration = generation
        var changed = false
        for (channel, entry) in disabled.channels {
            let current = Channel(rawValue: channel).flatMap { adapters.fingerprints[$0] }
            if current != entry.fingerprint {
                disabled.channels[channel] = nil
                changed = true
                logger.notice(
                    "channel \(channel) enabled again: its configuration changed since the endpoint answered 410",
                    metadata: ["channel": "\(channel)"])
            } else {
                logger.warning(
                    "channel \(channel) is disabled since its endpoint answered 410 Gone; change its configuration or run 'touchpoint outbox enable \(channel)'",
                    metadata: ["channel": "\(channel)"])
            }
        }
        if changed { try await disabled.save(to: store) }
    }

    /// Sleeps until a send finishes, new rows arrive, or the next row falls due.
    private func sleepUntilDue() async throws {
        var sleep = options.pollMilliseconds * 5
        if !disabled.channels.isEmpty { sleep = min(sleep, 1000) }
        if let next = try await store.nextDueAt(), next.milliseconds > clock().milliseconds {
            sleep = min(sleep, next.milliseconds - clock().milliseconds)
        }
        // A paced channel's rows wait for its next token, not for the next poll.
        if let token = pacer.nextToken(now: clock()) { sleep = min(sleep, max(1, token)) }
        let wakeup = self.wakeup
        await withGracefulShutdownHandler {
            await wakeup.wait(milliseconds: sleep)
        } onGracefulShutdown: {
            wakeup.signal()
        }
    }

    private func start(_ row: OutboxRow, in group: inout DiscardingTaskGroup) {
        inFlight += 1
        inFlightByChannel[row.channel, default: 0] += 1
        let adapter = Channel(rawValue: row.channel).flatMap { live.current.adapters.byChannel[$0] }
        let blocked = disabled.channels[row.channel] != nil
        group.addTask {
            let outcome: DeliveryOutcome
            if let adapter {
                if blocked {
                    outcome = .permanent(
                        answer:
                            "channel \(row.channel) is disabled: its endpoint answered 410 Gone (touchpoint outbox enable \(row.channel))"
                    )
                } else if let request = PreparedRequest.stored(row.prepared) {
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

    /// Queues the outcome for the next transaction; the row's slot is freed when that commits.
    private func finish(_ row: OutboxRow, _ outcome: DeliveryOutcome) {
        let now = clock()
        if let telemetry {
            let delivered: Bool
            if case .delivered = outcome { delivered = true } else { delivered = false }
            telemetry.send(
                channel: row.channel, outcome: outcome.metricName,
                latencyMilliseconds: delivered ? now.milliseconds - row.sendAt.milliseconds : nil)
        }
        settled.append(
            (
                SettledAttempt(messageId: row.messageId, outcome: stored(row, outcome, now: now), at: now),
                row.channel
            ))
        wakeup.signal()
    }

    /// What to record for a send's outcome, under the retry policy; logs it.
    private func stored(_ row: OutboxRow, _ outcome: DeliveryOutcome, now: Instant) -> OutboxOutcome {
        let attempt = row.attempts - row.attemptsAtRequeue
        var metadata: Logger.Metadata = [
            "message.id": "\(row.messageId)", "channel": "\(row.channel)", "attempt": "\(attempt)",
        ]
        switch outcome {
        case .delivered(let providerId, let answer):
            // The common case, at up to thousands a second: build the log line only when it will be written.
            if logger.logLevel <= .info {
                if let providerId { metadata["provider.id"] = "\(providerId)" }
                logger.info("delivered", metadata: metadata)
            }
            return .delivered(providerId: providerId, answer: answer)
        case .retry(let after, let answer):
            let policy = retryPolicy(row.channel)
            if policy.allowsAnother(after: attempt) {
                var rng = SeededGenerator(seed: StableID.seed(row.messageId + "/\(row.attempts)"))
                let wait = policy.delay(afterAttempt: attempt, retryAfter: after, using: &rng)
                let next = Instant(milliseconds: now.milliseconds + wait)
                if let expiry = row.expiresAt, next > expiry {
                    // The message can no longer matter when the next attempt is due: say so now.
                    logger.notice(
                        "transient failure; the next attempt (in \(TimeSpan(seconds: wait / 1000))) would be past the message's window: window-expired: \(answer)",
                        metadata: metadata)
                    return .dropped(
                        reason: "window-expired",
                        detail: "after \(attempt) attempt(s), the next due past the window: \(answer)")
                }
                logger.notice("transient failure, retrying in \(wait) ms: \(answer)", metadata: metadata)
                return .retry(at: next, answer: answer)
            }
            logger.error("dead letter after \(attempt) attempts: \(answer)", metadata: metadata)
            report(failure: row, answer: answer, at: now)
            return .dead(reason: "gave up after \(attempt) attempts", answer: answer)
        case .ambiguous(let answer):
            logger.error("outcome unknown (not re-sent): \(answer)", metadata: metadata)
            return .unknown(answer: answer)
        case .permanent(let answer):
            logger.error("permanent failure: \(answer)", metadata: metadata)
            report(failure: row, answer: answer, at: now)
            return .dead(reason: "permanent failure", answer: answer)
        case .disableEndpoint(let answer):
            if disabled.channels[row.channel] == nil {
                let fingerprint =
                    Channel(rawValue: row.channel).flatMap { live.current.adapters.fingerprints[$0] } ?? ""
                disabled.channels[row.channel] = DisabledEndpoints.Entry(
                    atMilliseconds: now.milliseconds, answer: answer, fingerprint: fingerprint,
                    messageId: row.messageId)
                disabledDirty = true
            }
            logger.error(
                "endpoint gone (410): channel \(row.channel) disabled until its configuration changes or 'touchpoint outbox enable \(row.channel)'; its messages are dead-lettered meanwhile (outbox retry --all-dead re-queues them): \(answer)",
                metadata: metadata)
            return .dead(reason: "endpoint disabled", answer: answer)
        }
    }
}

extension Dispatcher {
    /// Records a permanent failure as a `Message Failed` event line. Not awaited: the outcome is committed
    /// either way, and a line lost to a crash only means a fallback waits for its `after` instead.
    fileprivate func report(failure row: OutboxRow, answer: String, at now: Instant) {
        guard let feedback else { return }
        let line = EventLines.messageFailed(
            messageId: row.messageId, customer: row.customer, channel: row.channel, answer: answer, at: now)
        let logger = self.logger
        Task {
            do {
                _ = try await feedback.append([line])
            } catch {
                logger.notice(
                    "could not record Message Failed: \(error)", metadata: ["message.id": "\(row.messageId)"])
            }
        }
    }

    /// The retry policy for a channel: its `retry:` block, or `--max-attempts` over its schedule.
    fileprivate func retryPolicy(_ channel: String) -> RetryPolicy {
        var policy = Channel(rawValue: channel).map { live.current.adapters.retry($0) } ?? .standard
        if let n = options.maxAttempts {
            policy.maxAttempts = max(1, n)
            policy.maxAgeMilliseconds = nil
        }
        return policy
    }
}

extension DeliveryOutcome {
    /// The `outcome` label of `touchpoint_sends_total`.
    var metricName: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .ambiguous: "unknown"
        case .permanent: "failed"
        case .disableEndpoint: "endpoint-gone"
        }
    }
}
