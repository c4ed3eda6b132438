import ArgumentParser
import Daemon
import Engine
import Foundation
import Store
import TouchpointCore

/// `touchpoint status`: what the store holds.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print the store's state: events applied, quarantined lines, timers, outbox by state, dead letters."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        guard let opened = try await Stores.open(project.config) else {
            printError("\(project.config.storePath): no store yet (touchpoint run creates it)")
            throw ExitCode(1)
        }
        defer { Task { await opened.close() } }
        let store = opened.store
        let s = try await store.status()
        var out = Output.stdout()
        out.line("store            \(project.config.storeDescription)")
        out.line("events applied   \(s.eventsApplied)")
        out.line("quarantined      \(s.quarantined)")
        out.line("customers        \(s.customers)")
        out.line("pending timers   \(s.pendingTimers.map(String.init) ?? "-")")
        if let blob = try await store.global("sequencer"), let q = try? SequencerState.decode(blob) {
            let zone = project.config.defaultTimezone
            out.line(
                "watermark        "
                    + (q.watermark == .min ? "-" : zone.format(Instant(milliseconds: q.watermark)))
                    + " (\(q.held) event(s) waiting for it)")
            out.line(
                "late events      \(q.lateCount)"
                    + (q.lateCount > 0
                        ? " (at most \(Replay.describe(milliseconds: q.maxLateMilliseconds)) late)" : ""))
        }
        out.line("dropped          \(s.dropped)")
        out.line(
            "outbox           "
                + OutboxState.allCases.map { "\($0.rawValue) \(s.outbox[$0] ?? 0)" }.joined(separator: ", "))
        let disabled = try await DisabledEndpoints.load(from: store)
        out.line(
            "disabled endpoints: "
                + (disabled.channels.isEmpty ? "none" : disabled.summary.joined(separator: "; ")))
        for f in s.offsets { out.line("file             \(f.path): line \(f.line), byte \(f.offset)") }
        if !s.deadLetters.isEmpty {
            out.line("dead letters (newest first):")
            for d in s.deadLetters {
                out.line(
                    "  \(d.messageId)  \(d.rule)  \(d.customer)  \(d.channel)  \(d.attempts) attempt(s)  "
                        + "\(d.reason ?? "")\(d.lastAnswer.map { ": \($0)" } ?? "")")
            }
        }
        let quarantined = try await store.quarantined(limit: 10)
        if !quarantined.isEmpty {
            out.line("quarantined lines (newest first):")
            for q in quarantined { out.line("  \(q.path):\(q.line): \(q.reason)") }
        }
        if let postgres = opened.postgres, project.config.cluster != nil {
            ClusterReport.write(try await postgres.clusterStatus(), to: &out)
        }
        out.flush()
    }
}

/// `touchpoint outbox retry ID|--all-dead`: re-queue dead letters.
struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the outbox.", subcommands: [Retry.self, Enable.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-queue a dead (or unknown) message, or every dead letter, for another attempt.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The message id to re-queue.")
        var id: String?

        @Flag(help: "Re-queue every dead letter.")
        var allDead = false

        func validate() throws {
            if (id == nil) == !allDead { throw ValidationError("give a message id or --all-dead (not both)") }
        }

        func run() async throws {
            let project = Project.load(
                configPath: global.config, environment: ProcessInfo.processInfo.environment)
            guard let opened = try await Stores.open(project.config) else {
                printError("\(project.config.storePath): no store yet (touchpoint run creates it)")
                throw ExitCode(1)
            }
            let now = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            let n = try await opened.store.retryDead(messageId: id, at: now)
            await opened.close()
            print("re-queued \(n) message\(n == 1 ? "" : "s")")
            if n == 0 { throw ExitCode(1) }
        }
    }
}
