import ArgumentParser
import Daemon
import Engine
import Foundation
import Store
import TouchpointCore

/// `text` or `json`, for `status` and `outbox`.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// The store named by the config, opened, or exit 1 saying there is none yet.
func openStore(_ project: Project) async throws -> OpenedStore {
    guard let opened = try await Stores.open(project.config) else {
        printError("\(project.config.storePath): no store yet (touchpoint run creates it)")
        throw ExitCode(1)
    }
    return opened
}

/// `touchpoint status`: what the store holds.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print the store's state: events applied, quarantined lines, timers, outbox by state, dead letters, reloads.",
        discussion: "With --format json, one JSON object with the same fields.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "text (default) or json (one object).")
    var format: ReportFormat = .text

    func run() async throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        let opened = try await openStore(project)
        let store = opened.store
        let s = try await store.status()
        let sequencer = try await store.global("sequencer").flatMap { try? SequencerState.decode($0) }
        let quarantined = try await store.quarantined(limit: 10)
        let cluster = project.config.cluster != nil ? try await opened.postgres?.clusterStatus() : nil
        let pauses = opened.store as? any PausedRules
        let paused = try await pauses?.paused() ?? []
        let waitingPaused = try await pauses?.waitingWhilePaused() ?? [:]
        // Read before the store is closed: a closed PostgreSQL pool refuses every query.
        let disabled = try await DisabledEndpoints.load(from: store)
        await opened.close()
        let zone = project.config.defaultTimezone
        let droppedFromOutbox = s.outbox[.dropped] ?? 0
        switch format {
        case .json:
            var o: [String: JSONValue] = [
                "store": .string(project.config.storeDescription),
                "events_applied": .number(Double(s.eventsApplied)),
                "quarantined": .number(Double(s.quarantined)),
                "customers": .number(Double(s.customers)),
                "pending_timers": s.pendingTimers.map { .number(Double(timerTotal($0, sequencer))) } ?? .null,
                "pending_messages": (sequencer?.pendingMessages ?? s.pendingTimers).map {
                    .number(Double($0))
                }
                    ?? .null,
                "inactivity_timers": sequencer?.inactivityTimers.map { .number(Double($0)) } ?? .null,
                "dropped": .number(Double(s.dropped)),
                "dropped_from_outbox": .number(Double(droppedFromOutbox)),
                "outbox": .object(
                    Dictionary(
                        uniqueKeysWithValues: OutboxState.allCases.map {
                            ($0.rawValue, JSONValue.number(Double(s.outbox[$0] ?? 0)))
                        })),
                "files": .array(
                    s.offsets.map {
                        [
                            "path": .string($0.path), "line": .number(Double($0.line)),
                            "byte": .number(Double($0.offset)),
                        ]
                    }),
                "dead_letters": .array(
                    s.deadLetters.map { d in
                        [
                            "message_id": .string(d.messageId), "rule": .string(d.rule),
                            "customer": .string(d.customer), "channel": .string(d.channel),
                            "attempts": .number(Double(d.attempts)),
                            "reason": d.reason.map(JSONValue.string) ?? .null,
                            "last_answer": d.lastAnswer.map(JSONValue.string) ?? .null,
                            "at": .string(ISO8601.format(d.at, offsetSeconds: 0)),
                        ]
                    }),
                "paused": .array(
                    paused.map {
                        [
                            "rule": .string($0.rule), "since": .string(zone.format($0.since)),
                            "waiting": .number(Double(waitingPaused[$0.rule] ?? 0)),
                        ]
                    }),
                "quarantined_lines": .array(
                    quarantined.map {
                        [
                            "path": .string($0.path), "line": .number(Double($0.line)),
                            "reason": .string($0.reason),
                        ]
                    }),
            ]
            if let q = sequencer {
                o["watermark"] =
                    q.watermark == .min ? .null : .string(zone.format(Instant(milliseconds: q.watermark)))
                o["held_events"] = .number(Double(q.held))
                o["late_events"] = .number(Double(q.lateCount))
                o["refused_reloads"] = .array(
                    (q.refusedReloads ?? []).map { r in
                        [
                            "at": .string(ISO8601.format(Instant(milliseconds: r.at), offsetSeconds: 0)),
                            "reason": .string(r.reason), "errors": .array(r.errors.map(JSONValue.string)),
                        ]
                    })
                o["last_reload"] =
                    q.lastReloadAt.map {
                        .string(ISO8601.format(Instant(milliseconds: $0), offsetSeconds: 0))
                    } ?? .null
            }
            var out = Output.stdout()
            out.line(JSONValue.object(o).jsonText)
            out.flush()
            return
        case .text:
            break
        }
        var out = Output.stdout()
        out.line("store            \(project.config.storeDescription)")
        out.line("events applied   \(s.eventsApplied)")
        out.line("quarantined      \(s.quarantined)")
        out.line("customers        \(s.customers)")
        if let timers = s.pendingTimers {
            if let inactive = sequencer?.inactivityTimers {
                let waiting = sequencer?.pendingMessages ?? timers
                out.line(
                    "pending timers   \(waiting + inactive) (\(waiting) message(s) waiting, \(inactive) inactivity timer(s))"
                )
            } else {
                out.line("pending timers   \(timers)")
            }
        } else {
            out.line("pending timers   -")
        }
        if let q = sequencer {
            out.line(
                "watermark        "
                    + (q.watermark == .min ? "-" : zone.format(Instant(milliseconds: q.watermark)))
                    + " (\(q.held) event(s) waiting for it)")
            out.line(
                "late events      \(q.lateCount)"
                    + (q.lateCount > 0
                        ? " (at most \(Replay.describe(milliseconds: q.maxLateMilliseconds)) late)" : ""))
        }
        // Every dropped message has a record; those that were in the outbox first are also counted there.
        out.line(
            "dropped          \(s.dropped)"
                + (droppedFromOutbox > 0 && droppedFromOutbox <= s.dropped
                    ? " (\(droppedFromOutbox) from the outbox, \(s.dropped - droppedFromOutbox) before it)"
                    : ""))
        out.line(
            "paused           "
                + (paused.isEmpty
                    ? "none"
                    : paused.map {
                        ($0.rule == PausedRule.all ? "all rules (--all)" : $0.rule)
                            + " since \(zone.format($0.since)), \(waitingPaused[$0.rule] ?? 0) message(s) waiting"
                    }.joined(separator: "; ")))
        out.line(
            "outbox           "
                + OutboxState.allCases.map { "\($0.rawValue) \(s.outbox[$0] ?? 0)" }.joined(separator: ", "))
        // A paced channel's queue drains at its rate: how long the rows waiting now would take.
        let pacing = Adapters.pacing(config: project.config)
        for (channel, pace) in pacing.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let queued = s.queuedByChannel[channel.rawValue] ?? 0
            let seconds = (Double(queued) / pace.perSecond).rounded(.up)
            out.line(
                "pacing           \(channel.rawValue): \(pace.text), \(queued) queued, drains in "
                    + Replay.describe(milliseconds: Int64(seconds * 1000)))
        }
        out.line(
            "disabled endpoints: "
                + (disabled.channels.isEmpty ? "none" : disabled.summary.joined(separator: "; ")))
        for f in s.offsets { out.line("file             \(f.path): line \(f.line), byte \(f.offset)") }
        if let q = sequencer {
            if let last = q.lastReloadAt {
                out.line("last reload      \(zone.format(Instant(milliseconds: last)))")
            }
            let refused = q.refusedReloads ?? []
            if !refused.isEmpty {
                out.line("refused reloads (newest first):")
                for r in refused.reversed() {
                    out.line(
                        "  \(zone.format(Instant(milliseconds: r.at)))  \(r.reason): \(r.errors.count) error(s)"
                    )
                    for e in r.errors { out.line("    \(e)") }
                }
            }
        }
        if !s.deadLetters.isEmpty {
            out.line("dead letters (newest first):")
            for d in s.deadLetters {
                out.line(
                    "  \(d.messageId)  \(d.rule)  \(d.customer)  \(d.channel)  \(d.attempts) attempt(s)  "
                        + "\(d.reason ?? "")\(d.lastAnswer.map { ": \($0)" } ?? "")")
            }
        }
        if !quarantined.isEmpty {
            out.line("quarantined lines (newest first):")
            for q in quarantined { out.line("  \(q.path):\(q.line): \(q.reason)") }
        }
        if let cluster { ClusterReport.write(cluster, to: &out) }
        out.flush()
    }

    private func timerTotal(_ stored: Int, _ q: SequencerState?) -> Int {
        guard let q, let inactive = q.inactivityTimers else { return stored }
        return (q.pendingMessages ?? stored) + inactive
    }
}

/// `touchpoint outbox list|show|retry`.
struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the outbox.", subcommands: [List.self, Show.self, Retry.self, Enable.self])

    /// `touchpoint outbox list [--state S] [--limit N]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List outbox rows, latest send time first: id, state, attempts, rule, customer, channel.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only rows in this state: pending, sending, retry, delivered, dead, unknown, dropped.")
        var state: String?

        @Option(help: "At most this many rows.")
        var limit = 50

        @Option(help: "text (default) or json (one object per row).")
        var format: ReportFormat = .text

        func validate() throws {
            if let state, OutboxState(rawValue: state) == nil {
                let names = OutboxState.allCases.map(\.rawValue)
                throw ValidationError(
                    "--state '\(state)' is not an outbox state\(Suggest.didYouMean(state, in: names)); states are "
                        + names.joined(separator: ", "))
            }
        }

        func run() async throws {
            let project = Project.load(
                configPath: global.config, environment: ProcessInfo.processInfo.environment)
            let opened = try await openStore(project)
            let rows = try await opened.store.outboxRows(state: state.flatMap(OutboxState.init), limit: limit)
            await opened.close()
            let zone = project.config.defaultTimezone
            var out = Output.stdout()
            switch format {
            case .json:
                for row in rows { out.line(Outbox.json(row, attempts: nil).jsonText) }
            case .text:
                if rows.isEmpty {
                    out.line("no outbox rows\(state.map { " in state \($0)" } ?? "")")
                } else {
                    let table = rows.map { r in
                        [
                            r.messageId, r.state.rawValue, "\(r.attempts)",
                            TableRow.short(zone.format(r.sendAt)), r.rule,
                            r.customer,
                            r.channel, r.lastAnswer ?? r.reason ?? "",
                        ]
                    }
                    for line in TextTable.render(
                        header: [
                            "ID", "STATE", "ATTEMPTS", "SEND AT", "RULE", "CUSTOMER", "CHANNEL",
                            "LAST ANSWER",
                        ],
                        rows: table)
                    {
                        out.line(line)
                    }
                }
            }
            out.flush()
        }
    }

    /// `touchpoint outbox show ID`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Show one outbox row: its state and every attempt with its outcome and the peer's answer.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The message id.")
        var id: String

        @Option(help: "text (default) or json (one object).")
        var format: ReportFormat = .text

        func run() async throws {
            let project = Project.load(
                configPath: global.config, environment: ProcessInfo.processInfo.environment)
            let opened = try await openStore(project)
            let row = try await opened.store.outboxRow(messageId: id)
            let attempts = row == nil ? [] : try await opened.store.attempts(messageId: id)
            await opened.close()
            guard let row else {
                printError(
                    "touchpoint: no outbox row with message id '\(id)' in \(project.config.storeDescription)")
                throw ExitCode(1)
            }
            let zone = project.config.defaultTimezone
            var out = Output.stdout()
            switch format {
            case .json:
                out.line(Outbox.json(row, attempts: attempts).jsonText)
            case .text:
                out.line("message id       \(row.messageId)")
                out.line("state            \(row.state.rawValue)\(row.reason.map { " (\($0))" } ?? "")")
                out.line("rule             \(row.rule)")
                out.line("customer         \(row.customer)")
                out.line("channel          \(row.channel) (\(row.adapterKind))")
                out.line("send at          \(TableRow.short(zone.format(row.sendAt)))")
                out.line("next attempt     \(row.state.isFinal ? "-" : zone.format(row.nextAttemptAt))")
                if let expires = row.expiresAt { out.line("expires          \(zone.format(expires))") }
                if let provider = row.providerId { out.line("provider id      \(provider)") }
                out.line("attempts         \(row.attempts)")
                for a in attempts {
                    out.line(
                        "  #\(a.attempt)  \(TableRow.short(zone.format(a.startedAt)))  \(a.outcome ?? "in flight")"
                            + "\(a.answer.map { ": \($0)" } ?? "")")
                }
                if attempts.isEmpty, let answer = row.lastAnswer { out.line("last answer      \(answer)") }
            }
            out.flush()
        }
    }

    /// `touchpoint outbox retry ID|--all-dead`: re-queue dead letters.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-queue a dead (or unknown) message, or every dead letter, for another attempt.",
            discussion: "Exits 1, saying why, when nothing was re-queued.")

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
            let opened = try await openStore(project)
            let now = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            let n = try await opened.store.retryDead(messageId: id, at: now)
            let row =
                n == 0
                ? try await id.asyncMap { try await opened.store.outboxRow(messageId: $0) } ?? nil : nil
            await opened.close()
            print("re-queued \(n) message\(n == 1 ? "" : "s")")
            guard n == 0 else { return }
            if let id {
                if let row {
                    printError(
                        "touchpoint: message '\(id)' is \(row.state.rawValue), not dead or unknown: nothing to retry"
                    )
                } else {
                    printError(
                        "touchpoint: no outbox row with message id '\(id)' in \(project.config.storeDescription)"
                    )
                }
            } else {
                printError("touchpoint: no dead letters to re-queue")
            }
            throw ExitCode(1)
        }
    }

    static func json(_ r: OutboxRow, attempts: [AttemptRecord]?) -> JSONValue {
        var o: [String: JSONValue] = [
            "message_id": .string(r.messageId), "state": .string(r.state.rawValue), "rule": .string(r.rule),
            "customer": .string(r.customer), "channel": .string(r.channel), "adapter": .string(r.adapterKind),
            "send_at": .string(ISO8601.format(r.sendAt, offsetSeconds: 0)),
            "next_attempt_at": .string(ISO8601.format(r.nextAttemptAt, offsetSeconds: 0)),
            "attempts": .number(Double(r.attempts)),
            "last_answer": r.lastAnswer.map(JSONValue.string) ?? .null,
            "provider_id": r.providerId.map(JSONValue.string) ?? .null,
            "reason": r.reason.map(JSONValue.string) ?? .null,
        ]
        if let attempts {
            o["attempt_log"] = .array(
                attempts.map { a in
                    [
                        "attempt": .number(Double(a.attempt)),
                        "started_at": .string(ISO8601.format(a.startedAt, offsetSeconds: 0)),
                        "finished_at": a.finishedAt.map { .string(ISO8601.format($0, offsetSeconds: 0)) }
                            ?? .null,
                        "outcome": a.outcome.map(JSONValue.string) ?? .null,
                        "answer": a.answer.map(JSONValue.string) ?? .null,
                    ]
                })
        }
        return .object(o)
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
