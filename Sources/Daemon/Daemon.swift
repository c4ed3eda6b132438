import Channels
import Engine
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore
import Tracking
import UnixSignals

/// `touchpoint run`: the long-running daemon.
///
/// A `ServiceGroup` of the pipeline (events → engine → outbox) and the dispatcher (outbox → adapters).
/// SIGTERM/SIGINT shut down gracefully: the pipeline commits what it read, in-flight sends finish and
/// are recorded, within a bounded time. SIGHUP reloads config, rules and templates (an invalid set is
/// refused and the running one kept); changed rule and template files are picked up the same way.
public enum Daemon {
    /// A problem that stops the daemon before it starts, with the diagnostics behind it.
    public struct StartupError: Error, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
    }

    /// Starts the daemon and returns when it has shut down.
    public static func run(
        options: DaemonOptions, logger: Logger, clock: @escaping @Sendable () -> Instant = Delivery.wallClock
    ) async throws {
        // Trapped before anything else: a SIGTERM while the store loads ends start-up cleanly (exit 0), as one
        // after start-up shuts the service group down gracefully. The trap stays for the daemon's whole life.
        let stop = StopRequest()
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let trap = Task {
            for await signal in signals {
                logger.notice("\(signal): stopping")
                await stop.request()
            }
        }
        defer { trap.cancel() }
        let project = Project.load(configPath: options.configPath, environment: options.environment)
        let (adapters, adapterDiagnostics) = Adapters.build(config: project.config)
        let errors = project.diagnostics.filter { $0.severity == .error } + adapterDiagnostics
        guard errors.isEmpty else { throw StartupError(diagnostics: errors) }
        for d in project.diagnostics where d.severity == .warning { logger.warning("\(d)") }

        var options = options
        if let cluster = project.config.cluster { options.leaseOwner = cluster.node }
        let held = try await DaemonStore.open(
            project: project, options: options, logger: logger, clock: clock)
        do {
            try await run(
                project: project, adapters: adapters, held: held, options: options, stop: stop,
                logger: logger, clock: clock)
        } catch {
            await held.close()
            throw error
        }
        await held.close()
    }

    private static func run(
        project: Project, adapters: Adapters, held: DaemonStore, options: DaemonOptions, stop: StopRequest,
        logger: Logger, clock: @escaping @Sendable () -> Instant
    ) async throws {
        let store = held.store
        let storePath = project.config.storeDescription
        let stored = try await startState(options: options, project: project) { try await held.startState() }
        var offsets = stored.offsets
        if options.newStore {
            offsets = Ingestor.endOffsets(folder: project.config.eventsDirectory)
            logger.notice(
                "new store: starting after the lines already in the events folder",
                metadata: [
                    "files": "\(offsets.count)",
                    "lines.skipped": "\(offsets.values.reduce(0) { $0 + $1.line })",
                ])
        }
        try await store.recordFirstStart(at: clock())
        // After the store's own record, so a crash in between leaves a store that is no longer new.
        ReadMarker.record(folder: project.config.eventsDirectory, store: storePath, at: clock())
        var engine = Engine(
            book: project.book, templates: project.templates, settings: project.engineSettings())
        engine.deduplicates = false
        let decoded = try Engine.decode(customers: stored.customers, globals: stored.globals["engine"])
        engine.restore(globals: decoded.globals, customers: decoded.customers)
        if engine.stats.droppedOnRestore > 0 {
            logger.warning(
                "\(engine.stats.droppedOnRestore) pending message(s) of removed rules dropped on restore")
        }
        let saved =
            try stored.globals["sequencer"].map { try JSONDecoder().decode(SequencerState.self, from: $0) }
            ?? SequencerState()
        var sequencer = Sequencer(engine: engine, lateness: project.config.lateness)
        sequencer.restore(
            clock: Instant(milliseconds: saved.clock), lateCount: saved.lateCount,
            maxLateMilliseconds: saved.maxLateMilliseconds, wall: clock())

        let resendable = Set(adapters.byChannel.values.filter(\.peerDeduplicates).map(\.kind))
        let recovery = try await store.recoverInFlight(resendable: resendable, at: clock())
        if !recovery.requeued.isEmpty {
            logger.notice(
                "\(recovery.requeued.count) message(s) caught mid-send re-queued with the same id (peer deduplicates)"
            )
        }
        for id in recovery.unknown {
            logger.error(
                "message caught mid-send on a peer that cannot deduplicate: marked unknown, not re-sent",
                metadata: ["message.id": "\(id)"])
        }
        logger.notice(
            "touchpoint running",
            metadata: [
                "rules": "\(project.book.rules.count)", "events": "\(project.config.eventsDirectory)",
                "store": "\(project.config.storeDescription)", "customers": "\(decoded.customers.count)",
                "events.applied": "\(stored.eventsApplied)",
            ])

        let dispatcherWakeup = Wakeup()
        let reloadRequests = Wakeup()
        let telemetry = project.config.http.map { _ in Telemetry() }
        let clusterState = held.postgres.flatMap { postgres in
            project.config.cluster.map { c in
                PipelineCluster(
                    store: postgres, settings: Stores.settings(c)!, statsEvery: c.statsEvery.milliseconds,
                    folder: project.config.eventsDirectory)
            }
        }
        let liveAdapters = LiveAdapters(adapters)
        let pipeline = Pipeline(
            project: project, sequencer: sequencer, saved: saved, adapters: adapters, live: liveAdapters,
            offsets: offsets,
            store: store, options: options, logger: logger, dispatcherWakeup: dispatcherWakeup,
            reloadRequests: reloadRequests, telemetry: telemetry, cluster: clusterState, clock: clock)
        // One recorder writes the events folder's http-*.jsonl: the HTTP side's hits and the dispatcher's
        // permanent failures (fed back so a rule's fallback goes at once).
        let feeds = !project.book.fallbackRules.isEmpty
        let recorder =
            project.config.http != nil || feeds
            ? EventRecorder(folder: project.config.eventsDirectory, logger: logger) : nil
        let dispatcher = Dispatcher(
            store: store, adapters: liveAdapters, options: options, logger: logger, wakeup: dispatcherWakeup,
            telemetry: telemetry, feedback: feeds ? recorder : nil, clock: clock)
        // In a cluster every service's failure (a refused write, once the lease is gone) ends the group gracefully,
        // as the member's does. A failure that cancels the group during a graceful shutdown (the member's, say)
        // cancels it without its cancellation bound (ServiceLifecycle arms that only when it cancels outside a
        // shutdown) and ends the shutdown's own bound too: a service then left waiting (the pipeline on its commit,
        // in a PostgreSQL wait) kept the resumed node running forever.
        let onFailure: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior =
            held.postgres != nil && project.config.cluster != nil ? .gracefullyShutdownGroup : .cancelGroup
        // In dependency order: the group stops them in reverse, so the HTTP side stops taking requests
        // before the recorder writes its last lines, and both before the pipeline's last batch.
        var http: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let config = project.config.http, let telemetry, let recorder {
            let listening = options.httpListening ?? { _ in }
            let server = TrackingServer(
                config: config, recorder: recorder, telemetry: telemetry, store: store,
                eventsFolder: project.config.eventsDirectory,
                hooks: .init(
                    customers: { channel, address in await pipeline.customers(on: channel, address: address)
                    },
                    listening: listening),
                logger: logger, clock: clock)
            http = [
                .init(
                    service: recorder, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: onFailure, serviceName: "recorder"),
                .init(
                    service: server, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: onFailure, serviceName: "http"),
            ]
        }
        if http.isEmpty, let recorder, feeds {
            http = [
                .init(
                    service: recorder, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: onFailure, serviceName: "recorder")
            ]
        }

        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                logger.notice("SIGHUP: reloading config, rules and templates")
                reloadRequests.signal()
            }
        }
        defer { hangups.cancel() }

        // A cluster node's membership comes first: the group stops services in reverse order, so it leaves (handing
        // its partitions over) only after the pipeline's last commit and the dispatcher's last outcome.
        var membership: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // Once a write is refused the node stops within the shutdown bound, or the process is ended.
        let leaseLost = held.postgres.flatMap { _ in project.config.cluster }.map {
            LeaseLost(milliseconds: options.shutdownGraceMilliseconds + 3_000, node: $0.node, logger: logger)
        }
        func fenced(_ service: any Service) -> any Service {
            leaseLost.map { FencedService(service: service, leaseLost: $0) } ?? service
        }
        if let postgres = held.postgres, let c = project.config.cluster, let leaseLost {
            let member = ClusterMember(
                store: postgres, node: c.node, leaseMilliseconds: c.lease.milliseconds, holder: pipeline,
                resendable: resendable, dispatcherWakeup: dispatcherWakeup, leaseLost: leaseLost,
                logger: logger, clock: clock)
            // A lost lease ends the group gracefully, not by cancellation: the pipeline's last batch and the
            // dispatcher's outcomes are still tried (and refused by their stale epochs), and the shutdown grace bounds
            // it, where a cancelled PostgreSQL wait could hang the process.
            membership = [
                .init(
                    service: member, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "cluster")
            ]
        }
        var config = ServiceGroupConfiguration(
            services: membership + [
                .init(
                    service: fenced(pipeline), successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: onFailure, serviceName: "pipeline"),
                .init(
                    service: fenced(dispatcher), successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: onFailure, serviceName: "dispatcher"),
            ] + http,
            logger: logger)
        // The dispatcher cuts its in-flight sends at `shutdownGraceMilliseconds` and records them; this
        // bound is the backstop a second later, should anything else hang.
        config.maximumGracefulShutdownDuration = .milliseconds(options.shutdownGraceMilliseconds + 1_000)
        // And the last resort: a service that ignores its cancellation (a PostgreSQL wait on a connection whose
        // session the server ended while this node was paused) ends the process with a fatal error rather than
        // leaving it running without its lease; a supervisor restarts it.
        config.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: config)
        guard await stop.start(group) else {
            logger.notice("stopped during start-up; nothing was read")
            return
        }
        try await group.run()
    }
}

/// A SIGTERM/SIGINT, before or after the service group exists.
private actor StopRequest {
    private var requested = false
    private var group: ServiceGroup?

    func request() async {
        requested = true
        await group?.triggerGracefulShutdown()
    }

    /// Hands over the group; `false` when a stop was requested before (the daemon then does not start).
    func start(_ group: ServiceGroup) -> Bool {
        self.group = group
        return !requested
    }
}

extension Daemon {
    /// The state to start from, unless ``startRefusal(stored:options:project:)`` refuses it. Before refusing, the
    /// state is read a second time: the folder's marker may be a sibling cluster node's that started on this same
    /// store after the first read — a node records the store's first start before it writes the marker, so the
    /// store read again is no longer new. (Nodes started together raced here, and all but one refused.)
    static func startState(
        options: DaemonOptions, project: Project, load: () async throws -> StoredState
    ) async throws -> StoredState {
        let first = try await load()
        guard startRefusal(stored: first, options: options, project: project) != nil else { return first }
        let again = try await load()
        if let refusal = startRefusal(stored: again, options: options, project: project) {
            throw StartupError(diagnostics: [refusal])
        }
        return again
    }

    /// Why the daemon must not start on this store, or `nil`.
    ///
    /// A store deleted while the daemon was stopped comes back new and empty, and would then apply every
    /// event in the folder and send every message again (120 requests for 60 ids). So a new store next to an
    /// events folder that a store has already read (its ``ReadMarker``) and that holds lines needs the
    /// operator's word: `--from-start` (apply them all; events with a `messageId` still once) or `--new-store`
    /// (start after them). A folder no store has read yet is applied from its start, as on a first install
    /// (and after a crash during the very first start).
    static func startRefusal(stored: StoredState, options: DaemonOptions, project: Project) -> Diagnostic? {
        let store = project.config.storeDescription
        if project.config.cluster != nil && (options.newStore || options.fromStart) {
            return .error(
                "bad-flags",
                "--new-store and --from-start are not available in cluster mode (each partition resumes from its own "
                    + "committed offsets); start a new cluster store on an empty events folder instead",
                at: nil)
        }
        if options.newStore && options.fromStart {
            return .error(
                "bad-flags", "--new-store and --from-start contradict each other; give one", at: nil)
        }
        if options.newStore && !stored.isNew {
            return .error(
                "store-not-new",
                "--new-store: store \(store) is not new (\(stored.eventsApplied) events applied, "
                    + "\(stored.offsets.count) file offsets); leave the flag out to resume from it", at: nil)
        }
        guard stored.isNew, !options.fromStart, !options.newStore,
            let marker = ReadMarker.read(folder: project.config.eventsDirectory)
        else { return nil }
        let waiting = Ingestor(folder: project.config.eventsDirectory, offsets: [:]).files().compactMap {
            path in
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64).flatMap {
                $0 > 0 ? (path, $0) : nil
            }
        }
        guard !waiting.isEmpty else { return nil }
        let bytes = waiting.reduce(0) { $0 + $1.1 }
        let names =
            waiting.prefix(3).map { ($0.0 as NSString).lastPathComponent }.joined(separator: ", ")
            + (waiting.count > 3 ? ", …" : "")
        return .error(
            "new-store",
            "store \(store) is new, but the events folder \(project.config.eventsDirectory) was read before "
                + "(\(marker)) and holds \(bytes) bytes in \(waiting.count) file(s) (\(names)). If the store was lost, starting on a new one "
                + "would apply every event and send every message again. Start with --from-start to apply them all "
                + "(events with a messageId still once), or --new-store to start after the lines already there",
            at: nil)
    }
}
