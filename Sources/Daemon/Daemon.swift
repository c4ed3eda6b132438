import Channels
import Engine
import Foundation
import Logging
import ServiceLifecycle
import Store
import TouchpointCore
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

        let store = try SQLiteStore(path: project.config.storePath)
        let stored = try await store.load()
        var engine = Engine(book: project.book, templates: project.templates, settings: project.engineSettings())
        engine.deduplicates = false
        let decoded = try Engine.decode(customers: stored.customers, globals: stored.globals["engine"])
        engine.restore(globals: decoded.globals, customers: decoded.customers)
        if engine.stats.droppedOnRestore > 0 {
            logger.warning("\(engine.stats.droppedOnRestore) pending message(s) of removed rules dropped on restore")
        }
        let saved = try stored.globals["sequencer"].map { try JSONDecoder().decode(SequencerState.self, from: $0) }
            ?? SequencerState()
        var sequencer = Sequencer(engine: engine, lateness: project.config.lateness)
        sequencer.restore(
            clock: Instant(milliseconds: saved.clock), lateCount: saved.lateCount,
            maxLateMilliseconds: saved.maxLateMilliseconds, wall: clock())

        let resendable = Set(adapters.byChannel.values.filter(\.peerDeduplicates).map(\.kind))
        let recovery = try await store.recoverInFlight(resendable: resendable, at: clock())
        if !recovery.requeued.isEmpty {
            logger.notice(
                "\(recovery.requeued.count) message(s) caught mid-send re-queued with the same id (peer deduplicates)")
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
                "store": "\(project.config.storePath)", "customers": "\(decoded.customers.count)",
                "events.applied": "\(stored.eventsApplied)",
            ])

        let dispatcherWakeup = Wakeup()
        let reloadRequests = Wakeup()
        let pipeline = Pipeline(
            project: project, sequencer: sequencer, saved: saved, adapters: adapters, offsets: stored.offsets,
            store: store, options: options, logger: logger, dispatcherWakeup: dispatcherWakeup,
            reloadRequests: reloadRequests, clock: clock)
        let dispatcher = Dispatcher(
            store: store, adapters: adapters, options: options, logger: logger, wakeup: dispatcherWakeup,
            clock: clock)

        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                logger.notice("SIGHUP: reloading config, rules and templates")
                reloadRequests.signal()
            }
        }
        defer { hangups.cancel() }

        var config = ServiceGroupConfiguration(
            services: [
                .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "pipeline"),
                .init(service: dispatcher, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "dispatcher"),
            ],
            logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(15)
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
