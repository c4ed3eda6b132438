import ArgumentParser
import Daemon
import Foundation
import Logging

/// `touchpoint run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: tail the events folder, apply rules, deliver due messages.",
        discussion: """
            Reads *.jsonl files in the events folder in name order and follows appended lines, resuming \
            from the offsets in the store. Keeps profiles, timers, the outbox and offsets in the store, so \
            kill -9 and a restart lose nothing and send nothing twice. SIGTERM/SIGINT stop gracefully; \
            SIGHUP (or a changed rule or template file) reloads, refusing an invalid set.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Re-read every events file from its start (events with a messageId are still applied once).")
    var fromStart = false

    @Flag(
        help: """
            The store is new on purpose: start after the lines already in the events folder. Without it (or \
            --from-start) a new store beside an events folder that holds lines is refused.
            """)
    var newStore = false

    @Option(help: "Seconds a graceful stop waits for in-flight sends before cutting them.")
    var shutdownGrace: Double = 14

    @Option(help: "Lines applied per committed batch.")
    var batchLines = 5000

    @Option(help: "Sends in flight at once.")
    var concurrency = 32

    @Option(
        help:
            "Attempts before a message is dead-lettered, for every channel (default: each channel's retry schedule)."
    )
    var maxAttempts: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: "text (default) or json: one JSON object per line, the text line's fields as keys.")
    var logFormat: LogFormat = .text

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        if fromStart && newStore {
            throw ValidationError("--from-start and --new-store contradict each other; give one")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { label in
            let inner: any LogHandler =
                format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            var handler = SafeLogHandler(inner)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "touchpoint")
        var options = DaemonOptions(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        options.fromStart = fromStart
        options.newStore = newStore
        options.shutdownGraceMilliseconds = Int64(max(0, shutdownGrace) * 1000)
        options.batchLines = max(1, batchLines)
        options.concurrency = max(1, concurrency)
        options.maxAttempts = maxAttempts.map { max(1, $0) }
        options.leaseOwner = "touchpoint-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try await Daemon.run(options: options, logger: logger)
        } catch let error as Daemon.StartupError {
            printError(error.description)
            printError("touchpoint: not started")
            throw ExitCode(1)
        }
    }
}
