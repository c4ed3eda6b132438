import Channels
import Engine
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore
import Tracking

/// The live engine: reads new event lines, applies them, fires due timers by the wall clock, and commits
/// the state change, the file offsets and the resulting outbox rows in one transaction per batch.
///
/// The engine is the same one `dry-run` uses. Timers fire when the wall clock minus `lateness` passes
/// them, so an event that arrives a little late still cancels what it should.
actor Pipeline: Service {
    private var project: Project
    private var engine: Engine
    private var adapters: Adapters
    private var ingestor: Ingestor
    private let store: any StateStore
    private let options: DaemonOptions
    private let logger: Logger
    private let wakeup: Wakeup
    private let dispatcherWakeup: Wakeup
    private let reloadRequests: Wakeup
    private let clock: @Sendable () -> Instant
    private let telemetry: Telemetry?
    private var watcher: FolderWatcher?
    private var inputsSignature: [String: Int64] = [:]
    /// The previous batch's commit, still running on the store's writer while the next batch is read and
    /// applied: the SQLite work of one batch overlaps the engine work of the next (two cores). At most one
    /// is in flight; the next commit starts only after it succeeded, so batches commit in order.
    private var pendingCommit: Task<Void, any Error>?
    /// Event message ids of the batch in `pendingCommit`: not yet visible to `hasSeen`, still seen.
    private var uncommittedIds: Set<String> = []

    init(
        project: Project, engine: Engine, adapters: Adapters, offsets: [String: FileOffset],
        store: any StateStore,
        options: DaemonOptions, logger: Logger, dispatcherWakeup: Wakeup, reloadRequests: Wakeup,
        telemetry: Telemetry? = nil, clock: @escaping @Sendable () -> Instant
    ) {
        self.telemetry = telemetry
        self.project = project
        self.engine = engine
        self.adapters = adapters
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
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let full = try await step()
            let now = clock()
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
            if let next = engine.nextTimerAt {
                let due = next.milliseconds + project.config.lateness.milliseconds - now.milliseconds
                sleep = min(sleep, max(1, due))
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
        var input = ingestor.read(limit: options.batchLines, now: now)
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
        if input.lines < options.batchLines {
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
                logger.info(
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
                        messageId: r.messageId, rule: r.rule, customer: r.customer, reason: .renderError,
                        detail: why.message, at: now))
            }
        }
        let changes = try engine.takeChanges()
        let anything =
            !changes.customers.isEmpty || !input.offsets.isEmpty || !input.removedOffsets.isEmpty
            || !outbox.isEmpty
            || !dropped.isEmpty
            || !input.rejected.isEmpty
        // Surfaces the previous commit's failure, and keeps commits in batch order.
        try await settlePendingCommit()
        guard anything else { return false }
        let batch = Batch(
            customers: changes.customers, globals: ["engine": changes.globals], seenMessageIds: seenRows,
            offsets: Array(input.offsets.values), removedOffsets: input.removedOffsets,
            quarantine: input.rejected,
            outbox: outbox, dropped: dropped,
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
        return input.lines >= options.batchLines
    }

    /// The customers whose current address on `channel` is `address` (an inbound SMS names only a number).
    func customers(on channel: Channel, address: String) -> [String] {
        engine.customers.values.filter { $0.address(for: channel) == address }.map(\.id).sorted()
    }

    /// Waits for the previous batch's commit; rethrows its failure (the daemon then stops, as after a crash).
    private func settlePendingCommit() async throws {
        guard let commit = pendingCommit else { return }
        pendingCommit = nil
        try await commit.value
        uncommittedIds = []
    }

    /// Why a send decision could not become an outbox row.
    struct Unsendable: Error {
        var message: String
    }

    /// The outbox row for a message the engine decided to send, prepared byte-exact by its adapter.
    private func outboxRow(for r: MessageRecord, now: Instant) -> Result<OutboxRow, Unsendable> {
        guard let channel = r.channel, let adapter = adapters.byChannel[channel] else {
            logger.error(
                "no adapter for channel \(r.channel?.rawValue ?? "?")",
                metadata: ["message.id": "\(r.messageId)"])
            return .failure(Unsendable(message: "no adapter for channel \(r.channel?.rawValue ?? "?")"))
        }
        guard let message = r.outbound(customer: engine.customers[r.customer], now: now)
        else { return .failure(Unsendable(message: "no \(channel.rawValue) address at send time")) }
        do {
            let prepared = try adapter.prepare(message, now: now)
            let data = prepared.storedBytes()
            return .success(
                OutboxRow.pending(
                    messageId: r.messageId, rule: r.rule, customer: r.customer, channel: channel.rawValue,
                    adapterKind: adapter.kind, sendAt: r.sendAt ?? now, prepared: data, createdAt: now,
                    expiresAt: expiry(of: r)))
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
            logger.error("reload (\(reason)) refused: \(errors.count) error(s); keeping the running rules")
            return
        }
        var fresh = Engine(book: next.book, templates: next.templates, settings: next.engineSettings())
        fresh.deduplicates = false
        fresh.restore(globals: engine.globals, customers: engine.allStates())
        engine = fresh
        project = next
        adapters = nextAdapters
        logger.notice(
            "reloaded (\(reason)): \(next.book.rules.count) rules, \(next.templates.templateNames.count) templates"
        )
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
