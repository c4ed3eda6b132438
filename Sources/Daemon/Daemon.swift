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
        let project = Project.load(configPath: options.configPath, environment: options.environment)
        let (adapters, adapterDiagnostics) = Adapters.build(config: project.config)
        let errors = project.diagnostics.filter { $0.severity == .error } + adapterDiagnostics
        guard errors.isEmpty else { throw StartupError(diagnostics: errors) }
        for d in project.diagnostics where d.severity == .warning { logger.warning("\(d)") }

        let store = try SQLiteStore(path: project.config.storePath)
        let stored = try await store.load()
        var engine = Engine(
            book: project.book, templates: project.templates, settings: project.engineSettings())
        engine.deduplicates = false
        let decoded = try Engine.decode(customers: stored.customers, globals: stored.globals["engine"])
        engine.restore(globals: decoded.globals, customers: decoded.customers)
        if engine.stats.droppedOnRestore > 0 {
            logger.warning(
                "\(engine.stats.droppedOnRestore) pending message(s) of removed rules dropped on restore")
        }

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
                "store": "\(project.config.storePath)", "customers": "\(decoded.customers.count)",
                "events.applied": "\(stored.eventsApplied)",
            ])

        let dispatcherWakeup = Wakeup()
        let reloadRequests = Wakeup()
        let telemetry = project.config.http.map { _ in Telemetry() }
        let pipeline = Pipeline(
            project: project, engine: engine, adapters: adapters, offsets: stored.offsets, store: store,
            options: options, logger: logger, dispatcherWakeup: dispatcherWakeup,
            reloadRequests: reloadRequests,
            telemetry: telemetry, clock: clock)
        let dispatcher = Dispatcher(
            store: store, adapters: adapters, options: options, logger: logger, wakeup: dispatcherWakeup,
            telemetry: telemetry, clock: clock)
        // In dependency order: the group stops them in reverse, so the HTTP side stops taking requests
        // before the recorder writes its last lines, and both before the pipeline's last batch.
        var http: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let config = project.config.http, let telemetry {
            let recorder = EventRecorder(folder: project.config.eventsDirectory, logger: logger)
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
                    serviceName: "recorder"),
                .init(
                    service: server, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "http"
                ),
            ]
        }

        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                logger.notice("SIGHUP: reloading config, rules and templates")
                reloadRequests.signal()
            }
        }
        defer { hangups.cancel() }

        var config = ServiceGroupConfiguration(
            services: [
                .init(
                    service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "pipeline"),
                .init(
                    service: dispatcher, successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "dispatcher"),
            ] + http,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(15)
        try await ServiceGroup(configuration: config).run()
    }
}
