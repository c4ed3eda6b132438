import Channels
import Engine
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore
import Tracking

/// The live engine: reads new event lines, offers them to the sequencer `dry-run` also uses, and commits
/// the state change, the file offsets and the resulting outbox rows in one transaction per batch.
///
/// The sequencer's clock is the latest event time read, never past the wall clock, and the wall clock
/// itself once every file is read to its end; events and timers wait until the clock minus `lateness`
/// passes them, so an event that arrives a little late still cancels what it should, and the decisions are
/// the dry-run's whatever the batch boundaries. A message nothing late can change is decided at once.
///
/// A file's committed offset never passes a line the sequencer still holds: after a crash the held lines
/// are read again, and the ones the watermark had already passed (applied, quarantined, duplicates) are
/// recognised by the committed watermark and skipped, so nothing is lost and nothing applied twice.
actor Pipeline: Service {
    private var project: Project
    private var sequencer: Sequencer
    /// The sequencer's engine, mutated in place: a get-then-set accessor would copy the engine, so the first
    /// change to a customer after the copy duplicated the whole customer dictionary — once per event in a
    /// cluster batch, which applies through this accessor.
    var engine: Engine {
        get { sequencer.engine }
        _modify { yield &sequencer.engine }
    }
    private var adapters: Adapters
    /// The dispatcher's adapters, replaced at each successful reload.
    private let live: LiveAdapters?
    private var ingestor: Ingestor
    private let store: any StateStore
    let options: DaemonOptions
    let logger: Logger
    let wakeup: Wakeup
    private let dispatcherWakeup: Wakeup
    private let reloadRequests: Wakeup
    private let clock: @Sendable () -> Instant
    private let telemetry: Telemetry?
    private var watcher: FolderWatcher?
    private var inputsSignature: [String: Int64] = [:]
    /// A reload happened (or was refused) since the last commit: the next batch commits the `sequencer`
    /// global even with nothing else to write, so `status` shows it.
    private var reloadNoted = false
    /// The previous batch's commit, still running on the store's writer while the next batch is read and
    /// applied: the SQLite work of one batch overlaps the engine work of the next (two cores). At most one
    /// is in flight; the next commit starts only after it succeeded, so batches commit in order.
    private var pendingCommit: Task<Void, any Error>?
    /// Event message ids of the batch in `pendingCommit`: not yet visible to `hasSeen`, still seen.
    private var uncommittedIds: Set<String> = []
    /// Where each file's held lines start, in line order (see ``HeldLines``).
    private var held: [String: HeldLines] = [:]
    /// Per offered event: its file and message id, until it is released.
    private var offered: [Int: (path: String, messageId: String?)] = [:]
    private var nextToken = 0
    /// The offsets last committed, per file.
    private var committed: [String: FileOffset]
    /// What survives a restart besides the engine (the `sequencer` global).
    private var saved: SequencerState
    /// After a restart: per file, the part read before it, and the watermark then (see ``SequencerState``).
    private var reread: [String: SequencerState.ReadEnd]
    private let rereadWatermark: Instant
    /// Cluster mode (SPEC §10): the partitions this node applies; `nil` for a single daemon.
    var cluster: PipelineCluster?

    init(
        project: Project, sequencer: Sequencer, saved: SequencerState, adapters: Adapters,
        live: LiveAdapters? = nil, offsets: [String: FileOffset], store: any StateStore,
        options: DaemonOptions, logger: Logger,
        dispatcherWakeup: Wakeup, reloadRequests: Wakeup, telemetry: Telemetry? = nil,
        cluster: PipelineCluster? = nil, clock: @escaping @Sendable () -> Instant
    ) {
        self.telemetry = telemetry
        self.cluster = cluster
        self.project = project
        self.sequencer = sequencer
        // A cluster node's decisions read the merged sums of every node (``mergePopulation``), frozen by wall time.
        if cluster != nil { self.sequencer.engine.populationEvery = nil }
        self.saved = saved
        self.committed = options.fromStart ? [:] : offsets
        self.reread = options.fromStart ? [:] : saved.readEnds
        self.rereadWatermark = Instant(milliseconds: saved.watermark)
        self.adapters = adapters
        self.live = live
        self.ingestor = Ingestor(
            folder: project.config.eventsDirectory, offsets: options.fromStart ? [:] : offsets)
        self.store = store
        self.options = options
        self.logger = logger
        self.wakeup = Wakeup()
        self.dispatcherWakeup = dispatcherWakeup
        self.reloadRequests = reloadRequests
        self.clock = clock
        self.inputsSignature = Pipeline.signature(project)
    }

    func run() async throws {
        try? FileManager.default.createDirectory(
            atPath: project.config.eventsDirectory, withIntermediateDirectories: true)
        watcher = FolderWatcher(folders: [project.config.eventsDirectory], wakeup: wakeup)
        defer { watcher?.stop() }
        if watcher == nil { logger.notice("inotify unavailable; polling the events folder") }
        let reloads = reloadRequests
        let wakeup = self.wakeup
        // A SIGHUP asks for a reload, done between batches.
        let reloadTask = Task { [weak self] in
            while !Task.isCancelled {
                guard await reloads.waitForSignal() else { return }
                await self?.requestReload()
            }
        }
        defer { reloadTask.cancel() }
        var lastReloadCheck = clock()
        defer { stopCluster() }
        try await startCluster(now: clock())
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let full = try await step()
            let now = clock()
            try await serveCluster(now: now)
            if now.milliseconds - lastReloadCheck.milliseconds >= options.reloadCheckMilliseconds {
                lastReloadCheck = now
                if Pipeline.signature(project) != inputsSignature {
                    reload(reason: "rule or template files changed")
                }
            }
            if pendingReload {
                pendingReload = false
                reload(reason: "SIGHUP")
            }
            if full { continue }
            var sleep = options.pollMilliseconds
            if let next = sequencer.nextDue {
                sleep = min(sleep, max(1, next.milliseconds - now.milliseconds))
            }
            await withGracefulShutdownHandler {
                await wakeup.wait(milliseconds: sleep)
            } onGracefulShutdown: {
                wakeup.signal()
            }
        }
        // One last batch so everything read is committed before the process ends.
        _ = try await step()
        try await settlePendingCommit()
        logger.info("pipeline stopped", metadata: ["events.applied": "\(engine.stats.eventsApplied)"])
    }

    /// Set by ``requestReload()``; handled between batches.
    private var pendingReload = false

    /// Asks for a reload of config, rules and templates at the next batch boundary.
    func requestReload() {
        pendingReload = true
        wakeup.signal()
    }

    /// Reads, applies and commits one batch. Returns `true` when the batch was full (more may be waiting).
    private func step() async throws -> Bool {
        let now = clock()
        if let clusterRead = readCluster(now: now) { return try await clusterStep(clusterRead, now: now) }
        let input = ingestor.read(
            limit: options.batchLines, now: now,
            future: { [clock, project] in max(now, clock()) + project.config.futureSkew })
        var quarantine: [QuarantinedLine] = []
        for q in input.rejected {
            // Read again after a restart: quarantined before it.
            if rereads(q.path, line: q.line) || saved.futureLines[q.path]?.contains(q.line) == true {
                continue
            }
            if q.reason.hasPrefix("future-timestamp") {
                saved.futureLines[q.path, default: []].append(q.line)
            }
            quarantine.append(q)
            logger.warning("\(q.path):\(q.line): \(q.reason)", metadata: ["event.quarantined": "true"])
        }
        // Lines read again after a restart: the ones the watermark had passed were dealt with before it.
        var candidates: [(event: Event, start: FileOffset)] = []
        for (event, start) in zip(input.events, input.starts) {
            let line = start.line + 1
            if saved.futureLines[start.path]?.contains(line) == true { continue }
            if rereads(start.path, line: line), event.instant <= rereadWatermark { continue }
            candidates.append((event, start))
        }
        // Deduplicate by messageId against everything ever applied (the store), the batch being committed,
        // the events the sequencer holds, and within the batch.
        let ids = candidates.compactMap(\.event.messageId)
        var seen = ids.isEmpty ? [] : try await store.hasSeen(ids)
        for id in ids where uncommittedIds.contains(id) { seen.insert(id) }
        var fresh = Set<String>()
        var records: [MessageRecord] = []
        var duplicates = 0
        sequencer.wallClock = now
        let lateBefore = sequencer.lateCount
        for (event, start) in candidates {
            if let id = event.messageId, seen.contains(id) || !fresh.insert(id).inserted {
                duplicates += 1
                continue
            }
            nextToken += 1
            let arrival = sequencer.offer(event, token: nextToken) { records.append($0) }
            if arrival == .duplicate {
                duplicates += 1
                continue
            }
            offered[nextToken] = (start.path, event.messageId)
            held[start.path, default: HeldLines()].append(token: nextToken, start: start)
        }
        // Caught up (every line written so far is read): the wall clock moves the sequencer's clock.
        let behind = input.full || input.lines >= options.batchLines
        sequencer.advance(wall: now, caughtUp: !behind) { records.append($0) }
        noteBackfill(lines: input.lines, behind: behind, now: now)
        if duplicates > 0 { logger.info("skipped \(duplicates) duplicate event(s) by messageId") }

        var seenRows: [SeenMessage] = []
        var applied = 0
        var touched = Set(input.offsets.keys)
        for token in sequencer.takeReleased() {
            guard let o = offered.removeValue(forKey: token) else { continue }
            applied += 1
            if let id = o.messageId { seenRows.append(SeenMessage(id: id, at: now)) }
            held[o.path]?.release(token)
            touched.insert(o.path)
        }
        if let telemetry {
            telemetry.batch(
                applied: applied, quarantined: quarantine.count, late: sequencer.lateCount - lateBefore)
            for r in records {
                telemetry.decision(rule: r.rule, decision: r.decision.rawValue, reason: r.reason?.rawValue)
            }
        }
        // A file's offset stops before its first line still held: a crash reads that line again.
        var offsets: [FileOffset] = []
        for path in touched {
            guard let read = ingestor.offsets[path] else { continue }
            var target = read
            if let first = held[path]?.firstStart, first.inode == read.inode {
                // Where a crash resumes: looked at no further than there, and fingerprinted there.
                target = first
                target.size = first.offset
                target.fingerprint = Ingestor.fingerprint(path: path, offset: first.offset)
            }
            if held[path]?.isEmpty == true { held[path] = nil }
            if committed[path] != target {
                committed[path] = target
                offsets.append(target)
            }
            saved.readEnds[path] = SequencerState.ReadEnd(line: read.line, inode: read.inode)
            if reread[path].map({ read.line >= $0.line || read.inode != $0.inode }) == true {
                reread[path] = nil
            }
            if var lines = saved.futureLines[path] {
                lines.removeAll { $0 <= target.line }
                saved.futureLines[path] = lines.isEmpty ? nil : lines
            }
        }
        saved.clock = sequencer.clock.milliseconds
        saved.watermark = sequencer.watermark.milliseconds
        saved.lateCount = sequencer.lateCount
        saved.maxLateMilliseconds = sequencer.maxLateMilliseconds
        saved.held = sequencer.heldCount
        saved.pendingMessages = engine.pendingCount
        saved.inactivityTimers = engine.inactivityTimerCount

        var outbox: [OutboxRow] = []
        var dropped: [DroppedMessage] = []
        for r in records {
            if r.decision == .suppressed {
                if let d = r.dropped { dropped.append(d) }
                // Bad data the engine refused to send: an address the adapter would refuse, content past Slack's
                // limits. The detail says what (addresses masked).
                if r.reason == .invalidAddress || r.reason == .renderError {
                    logger.error(
                        "\(r.reason?.rawValue ?? "?"): \(r.detail ?? "?"); dropped",
                        metadata: [
                            "message.id": "\(r.messageId)", "rule": "\(r.rule)", "customer": "\(r.customer)",
                        ])
                    continue
                }
                // A cancellation is the rules working (a backfill makes tens of thousands): debug, not info.
                logger.log(
                    level: r.reason == .cancelled ? .debug : .info,
                    "held back: \(r.reason?.rawValue ?? "?")",
                    metadata: [
                        "message.id": "\(r.messageId)", "rule": "\(r.rule)", "customer": "\(r.customer)",
                    ])
                continue
            }
            switch outboxRow(for: r, now: now) {
            case .success(let row):
                outbox.append(row)
            case .failure(let why):
                // Never silently lost: a decision that cannot become an outbox row is recorded as dropped.
                dropped.append(
                    DroppedMessage(
                        messageId: r.messageId, rule: r.rule, customer: r.customer, reason: why.reason,
                        detail: why.message, at: now))
            }
        }
        let changes = try sequencer.engine.takeChanges()
        let anything =
            !changes.customers.isEmpty || !offsets.isEmpty || !input.removedOffsets.isEmpty || !outbox.isEmpty
            || !dropped.isEmpty || !quarantine.isEmpty || applied > 0 || reloadNoted
        // Surfaces the previous commit's failure, and keeps commits in batch order.
        let waitStart = DispatchTime.now().uptimeNanoseconds
        try await settlePendingCommit()
        commitWaitNanos += DispatchTime.now().uptimeNanoseconds - waitStart
        guard anything else { return false }
        reloadNoted = false
        let batch = Batch(
            customers: changes.customers,
            globals: ["engine": changes.globals, "sequencer": try JSONEncoder().encode(saved)],
            seenMessageIds: seenRows, offsets: offsets, removedOffsets: input.removedOffsets,
            quarantine: quarantine, outbox: outbox, dropped: dropped,
            eventsApplied: applied, pendingTimers: engine.pendingCount)
        // Nothing of this batch reaches the world before the commit: its outbox rows become claimable, and its
        // offsets durable, only when it succeeds. A crash before then re-reads the batch from the old offsets.
        let store = self.store
        let dispatcherWakeup = self.dispatcherWakeup
        let wakesDispatcher = !outbox.isEmpty
        uncommittedIds = Set(seenRows.map(\.id))
        pendingCommit = Task {
            try await store.commit(batch)
            if wakesDispatcher { dispatcherWakeup.signal() }
        }
        return behind
    }

    /// A backlog being read (a back-filled file, a restart after an outage): when it started, lines read
    /// since, and when progress was last logged.
    private var backfill: (startedAt: Int64, lines: Int, loggedAt: Int64, waitedAtStart: UInt64)?
    /// Time spent waiting for the previous batch's commit before starting the next, in all: the share of a
    /// backlog's time it takes says whether the store (its writes and fsyncs) or the engine holds ingest back.
    private var commitWaitNanos: UInt64 = 0

    /// Logs a backlog's progress every 5 s at info: lines read, lines a second, bytes left and how far the
    /// events' time is behind the wall clock; and once when it is read.
    private func noteBackfill(lines: Int, behind: Bool, now: Instant) {
        let ms = now.milliseconds
        if behind {
            var b = backfill ?? (startedAt: ms, lines: 0, loggedAt: ms, waitedAtStart: commitWaitNanos)
            b.lines += lines
            if ms - b.loggedAt >= 5000 {
                b.loggedAt = ms
                var unread: UInt64 = 0
                for file in ingestor.currentFiles() {
                    let at = ingestor.offsets[file.path]?.offset ?? 0
                    if file.size > at { unread += file.size - at }
                }
                let seconds = Double(max(1, ms - b.startedAt)) / 1000
                let lag = sequencer.clock.milliseconds == .min ? 0 : max(0, ms - sequencer.clock.milliseconds)
                let waited = Int(Double(commitWaitNanos - b.waitedAtStart) / 1e7 / seconds)
                logger.info(
                    "backfill: \(b.lines) lines in \(Int(seconds)) s (\(Int(Double(b.lines) / seconds)) lines/s), \(unread) bytes unread, events \(Replay.describe(milliseconds: lag)) behind the wall clock; \(waited) % of the time waiting for the store's commits",
                    metadata: [
                        "backfill.lines": "\(b.lines)",
                        "backfill.lines_per_second": "\(Int(Double(b.lines) / seconds))",
                        "backfill.unread_bytes": "\(unread)", "backfill.lag_ms": "\(lag)",
                        "backfill.commit_wait_percent": "\(waited)",
                    ])
            }
            backfill = b
        } else if let b = backfill {
            backfill = nil
            let total = b.lines + lines
            let seconds = Double(max(1, ms - b.startedAt)) / 1000
            if ms - b.startedAt >= 5000 {
                logger.info(
                    "backfill read: \(total) lines in \(Int(seconds)) s (\(Int(Double(total) / seconds)) lines/s)",
                    metadata: ["backfill.lines": "\(total)"])
            }
        }
    }

    /// A cluster node's batch: the held partitions' new lines, applied in timestamp order within the batch
    /// straight to the engine (not through the sequencer: a partition's offsets are committed as read, so
    /// nothing may stay held across batches), timers fired up to the wall clock minus `lateness` once caught
    /// up; fenced with every held partition's epoch.
    private func clusterStep(_ clusterRead: PartitionedIngest.Read, now: Instant) async throws -> Bool {
        var input = Ingestor.Batch(
            events: clusterRead.events, rejected: clusterRead.rejected.map(\.line), lines: clusterRead.lines)
        let caughtUp = !clusterRead.full
        for q in input.rejected {
            logger.warning("\(q.path):\(q.line): \(q.reason)", metadata: ["event.quarantined": "true"])
        }
        // Deduplicate by messageId against everything ever applied (the store) and within the batch.
        let ids = input.events.compactMap(\.messageId)
        var seen = ids.isEmpty ? [] : try await store.hasSeen(ids)
        for id in ids where uncommittedIds.contains(id) { seen.insert(id) }
        var fresh = Set<String>()
        var seenRows: [SeenMessage] = []
        var records: [MessageRecord] = []
        var applied = 0
        var duplicates = 0
        // Within a batch, apply in timestamp order (stable), as dry-run does.
        input.events = input.events.enumerated().sorted { a, b in
            a.element.instant != b.element.instant
                ? a.element.instant < b.element.instant : a.offset < b.offset
        }.map(\.element)
        engine.wallClock = now
        let lateBefore = engine.stats.lateEvents
        for event in input.events {
            if let id = event.messageId {
                if seen.contains(id) || !fresh.insert(id).inserted {
                    duplicates += 1
                    continue
                }
                seenRows.append(SeenMessage(id: id, at: now))
            }
            records += engine.apply(event)
            applied += 1
        }
        // The wall clock drives timers only once the input is caught up. While a backlog is being read
        // (a full batch), the events' own times drive them, exactly as in a dry-run, so where a batch
        // happens to end cannot fire a timer that a later line of the backlog would have cancelled.
        if caughtUp {
            records += engine.advance(to: now - project.config.lateness)
        }
        if duplicates > 0 { logger.info("skipped \(duplicates) duplicate event(s) by messageId") }
        if let telemetry {
            telemetry.batch(
                applied: applied, quarantined: input.rejected.count,
                late: engine.stats.lateEvents - lateBefore)
            for r in records {
                telemetry.decision(rule: r.rule, decision: r.decision.rawValue, reason: r.reason?.rawValue)
            }
        }

        var outbox: [OutboxRow] = []
        var dropped: [DroppedMessage] = []
        for r in records {
            if r.decision == .suppressed {
                if let d = r.dropped { dropped.append(d) }
                // A cancellation is the rules working (a backfill makes tens of thousands): debug, not info.
                logger.log(
                    level: r.reason == .cancelled ? .debug : .info,
                    "held back: \(r.reason?.rawValue ?? "?")",
                    metadata: [
                        "message.id": "\(r.messageId)", "rule": "\(r.rule)", "customer": "\(r.customer)",
                    ])
                continue
            }
            switch outboxRow(for: r, now: now) {
            case .success(let row):
                outbox.append(row)
            case .failure(let why):
                // Never silently lost: a decision that cannot become an outbox row is recorded as dropped.
                dropped.append(
                    DroppedMessage(
                        messageId: r.messageId, rule: r.rule, customer: r.customer, reason: why.reason,
                        detail: why.message, at: now))
            }
        }
        let changes = try engine.takeChanges()
        let anything =
            !changes.customers.isEmpty || !input.offsets.isEmpty || !input.removedOffsets.isEmpty
            || !outbox.isEmpty
            || !dropped.isEmpty
            || !input.rejected.isEmpty || !clusterRead.offsets.isEmpty || !clusterRead.removedOffsets.isEmpty
        // Surfaces the previous commit's failure, and keeps commits in batch order.
        try await settlePendingCommit()
        guard anything else { return false }
        var batch = Batch(
            customers: changes.customers, globals: ["engine": changes.globals], seenMessageIds: seenRows,
            offsets: Array(input.offsets.values), removedOffsets: input.removedOffsets,
            quarantine: input.rejected,
            outbox: outbox, dropped: dropped,
            eventsApplied: applied, pendingTimers: engine.pendingCount)
        try clusterBatch(&batch, read: clusterRead)
        // Nothing of this batch reaches the world before the commit: its outbox rows become claimable, and its
        // offsets durable, only when it succeeds. A crash before then re-reads the batch from the old offsets.
        let store = self.store
        let dispatcherWakeup = self.dispatcherWakeup
        let wakesDispatcher = !outbox.isEmpty
        uncommittedIds = Set(seenRows.map(\.id))
        pendingCommit = Task {
            try await store.commit(batch)
            if wakesDispatcher { dispatcherWakeup.signal() }
        }
        return !caughtUp
    }

    /// The customers whose current address on `channel` is `address` (an inbound SMS names only a number).
    func customers(on channel: Channel, address: String) -> [String] {
        sequencer.engine.customers.values.filter { $0.address(for: channel) == address }.map(\.id).sorted()
    }

    /// Whether `line` of `path` was read before the restart (see ``SequencerState/readEnds``).
    private func rereads(_ path: String, line: Int) -> Bool {
        guard let end = reread[path], let inode = ingestor.offsets[path]?.inode, inode == end.inode else {
            return false
        }
        return line <= end.line
    }

    /// Waits for the previous batch's commit; rethrows its failure (the daemon then stops, as after a crash).
    func settlePendingCommit() async throws {
        guard let commit = pendingCommit else { return }
        pendingCommit = nil
        try await commit.value
        uncommittedIds = []
    }

    /// Why a send decision could not become an outbox row.
    struct Unsendable: Error {
        var message: String
        /// What the dropped message is recorded as.
        var reason: SuppressionReason = .renderError
    }

    /// The outbox row for a message the engine decided to send, prepared byte-exact by its adapter.
    private func outboxRow(for r: MessageRecord, now: Instant) -> Result<OutboxRow, Unsendable> {
        guard let channel = r.channel, let adapter = adapters.byChannel[channel] else {
            logger.error(
                "no adapter for channel \(r.channel?.rawValue ?? "?")",
                metadata: ["message.id": "\(r.messageId)"])
            return .failure(Unsendable(message: "no adapter for channel \(r.channel?.rawValue ?? "?")"))
        }
        guard
            let message = r.outbound(
                customer: sequencer.customer(r.customer), now: now, quietHours: project.config.quietHours,
                defaultZone: project.config.defaultTimezone)
        else { return .failure(Unsendable(message: "no \(channel.rawValue) address at send time")) }
        do {
            let prepared = try adapter.prepare(message, now: now)
            let data = prepared.storedBytes()
            return .success(
                OutboxRow.pending(
                    messageId: r.messageId, rule: r.rule, customer: r.customer, channel: channel.rawValue,
                    adapterKind: adapter.kind, sendAt: r.sendAt ?? now, prepared: data, createdAt: now,
                    expiresAt: expiry(of: r)))
        } catch let error as InvalidAddress {
            logger.error(
                "invalid-address: \(error.message); dropped", metadata: ["message.id": "\(r.messageId)"])
            return .failure(Unsendable(message: error.message, reason: .invalidAddress))
        } catch {
            logger.error("cannot prepare message: \(error)", metadata: ["message.id": "\(r.messageId)"])
            return .failure(Unsendable(message: "cannot prepare: \(error)"))
        }
    }

    /// The last instant the message may go out: the end of its rule's window plus `max-lateness`, the same
    /// bound the engine drops it by (`window-expired`); the dispatcher holds every attempt to it.
    private func expiry(of r: MessageRecord) -> Instant? {
        guard let index = project.book.index(of: r.rule) else { return nil }
        return r.dueAt + project.book.rules[index].rule.send.within + project.config.maxLateness
    }

    /// Reloads config, rules and templates; an invalid set is refused and the running one kept.
    private func reload(reason: String) {
        var next = Project.load(configPath: options.configPath, environment: options.environment)
        inputsSignature = Pipeline.signature(next)
        // The HTTP side keeps the block it started with; links signed with another secret would 404.
        if next.config.http != project.config.http {
            logger.warning("the http block changed; it takes effect at the next restart")
            next.config.http = project.config.http
        }
        let (nextAdapters, adapterDiagnostics) = Adapters.build(config: next.config)
        let errors = next.diagnostics.filter { $0.severity == .error } + adapterDiagnostics
        guard errors.isEmpty else {
            for d in errors { logger.error("\(d)") }
            logger.error(
                "reload (\(reason)) refused: \(errors.count) error(s); keeping the running rules",
                metadata: ["reload.reason": "\(reason)", "errors": "\(errors.count)"])
            var refused = saved.refusedReloads ?? []
            refused.append(
                .init(at: clock().milliseconds, reason: reason, errors: errors.prefix(5).map(\.description)))
            saved.refusedReloads = Array(refused.suffix(5))
            reloadNoted = true
            wakeup.signal()
            return
        }
        saved.lastReloadAt = clock().milliseconds
        reloadNoted = true
        var fresh = Engine(book: next.book, templates: next.templates, settings: next.engineSettings())
        fresh.deduplicates = false
        fresh.restore(globals: engine.globals, customers: engine.allStates())
        sequencer.replaceEngine(with: fresh)
        project = next
        adapters = nextAdapters
        live?.replace(with: nextAdapters)
        dispatcherWakeup.signal()
        logger.notice(
            "reloaded (\(reason)): \(next.book.rules.count) rules, \(next.templates.templateNames.count) templates"
        )
    }

    /// A fresh engine on the current rules with `customers` and the current globals (population, clock): after a
    /// reload, and after a cluster node handed partitions over (their customers are left out).
    func rebuildEngine(keeping customers: [String: CustomerState]) {
        var fresh = Engine(
            book: project.book, templates: project.templates, settings: project.engineSettings())
        fresh.deduplicates = false
        fresh.restore(globals: engine.globals, customers: customers)
        sequencer.replaceEngine(with: fresh)
    }

    /// Modification times of every rule, template and config file: a cheap change detector.
    static func signature(_ project: Project) -> [String: Int64] {
        var out: [String: Int64] = [:]
        let fm = FileManager.default
        var roots = [project.config.rulesDirectory, project.config.templatesDirectory]
        if let path = project.config.path { roots.append(path) }
        for root in roots {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir) else { continue }
            let paths = isDir.boolValue ? (fm.subpaths(atPath: root) ?? []).map { root + "/" + $0 } : [root]
            for p in paths {
                if let attrs = try? fm.attributesOfItem(atPath: p),
                    let date = attrs[.modificationDate] as? Date
                {
                    out[p] = Int64(date.timeIntervalSince1970 * 1000)
                }
            }
        }
        return out
    }
}

/// Where one file's held lines start, in line order; released ones leave from anywhere.
struct HeldLines {
    private var entries: [(token: Int, start: FileOffset)] = []
    private var head = 0
    private var released: Set<Int> = []

    var isEmpty: Bool { head == entries.count }

    /// Where to resume to read the first line still held.
    var firstStart: FileOffset? { isEmpty ? nil : entries[head].start }

    mutating func append(token: Int, start: FileOffset) { entries.append((token, start)) }

    mutating func release(_ token: Int) {
        released.insert(token)
        while head < entries.count, released.remove(entries[head].token) != nil { head += 1 }
        if head > 1024, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}

/// What the daemon keeps of its sequencer across a restart, besides the engine: the `sequencer` global.
///
/// The held events themselves are not stored: each file's committed offset stops before its first held line,
/// so they are read again. Of the lines read again, those up to `readEnds` that the watermark had passed
/// were applied (or were duplicates, or quarantined) before the restart and are skipped; the others were
/// held and are offered again. Lines quarantined `future-timestamp` are listed, since the wall clock may
/// have moved past them since.
public struct SequencerState: Codable, Sendable {
    struct ReadEnd: Codable, Sendable {
        var line: Int
        var inode: UInt64
    }

    /// The sequencer's clock, epoch milliseconds.
    public internal(set) var clock: Int64 = .min
    /// Its watermark (clock minus `lateness`), epoch milliseconds.
    public internal(set) var watermark: Int64 = .min
    /// Events that arrived dated before the watermark (applied at once, counted).
    public internal(set) var lateCount = 0
    /// The most a late event was behind the clock.
    public internal(set) var maxLateMilliseconds: Int64 = 0
    /// Events waiting for the watermark when this was committed.
    public internal(set) var held = 0
    var readEnds: [String: ReadEnd] = [:]
    var futureLines: [String: [Int]] = [:]
    /// Messages waiting for their due or send time when this was committed (`nil` in older stores).
    public internal(set) var pendingMessages: Int?
    /// Armed inactivity timers (`when: { inactive: 30d }`), one per customer and rule.
    public internal(set) var inactivityTimers: Int?
    /// The latest reloads refused (newest last, at most five), for `touchpoint status`.
    public internal(set) var refusedReloads: [RefusedReload]?
    /// When a reload last succeeded, epoch milliseconds.
    public internal(set) var lastReloadAt: Int64?

    /// A refused reload: when, what set it off, and the errors it was refused for.
    public struct RefusedReload: Codable, Sendable, Hashable {
        public var at: Int64
        public var reason: String
        public var errors: [String]
    }

    /// Decodes the stored `sequencer` global.
    public static func decode(_ data: Data) throws -> SequencerState {
        try JSONDecoder().decode(SequencerState.self, from: data)
    }
}
