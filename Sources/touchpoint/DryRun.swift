import ArgumentParser
import Engine
import Foundation
import Preview
import TouchpointCore

/// `touchpoint dry-run EVENTS...`: replay event files in virtual time and print what would fire.
struct DryRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Replay event files in virtual time and print every message that would fire.",
        discussion: """
            Touches no live state and sends nothing. Times are the events' own; timers run out at the end \
            unless --until stops the clock. Malformed lines are reported as file:line: reason and skipped.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// One aligned line per message, sorted by time, with a header and a totals footer.
        case table
        /// One JSON object per message, in decision order.
        case json
        /// Each message as a block with its whole content, in decision order.
        case blocks
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "JSON Lines event files, replayed in the order given.")
    var events: [String]

    @Option(
        help: """
            Stop the virtual clock at this time: ISO 8601 with an offset, a local time without one, or a bare \
            date (its midnight), both in the config's default-timezone.
            """)
    var until: String?

    @Option(
        help: """
            table (default on a terminal: one aligned line per message), json (default when piped: one object \
            per line) or blocks (each message with its whole content).
            """)
    var format: Format?

    @Flag(help: "Also print messages that were held back, and why.")
    var showSuppressed = false

    @Option(help: "Print this customer's timeline: events, triggers, cancellations, scheduling numbers.")
    var explain: String?

    @Option(help: "Also write a self-contained HTML preview of every message to this file.")
    var html: String?

    @Option(help: "Threads deciding customers (default: every core). The output is the same for any number.")
    var threads: Int?

    func validate() throws {
        if let until, Self.untilInstant(until, zone: .utc) == nil {
            throw ValidationError(
                "--until '\(until)' is not a date (2026-11-21) or an ISO 8601 time (2026-11-20T10:00:00+08:00)"
            )
        }
        if events.isEmpty { throw ValidationError("give at least one events file") }
        if let threads, !(1...256).contains(threads) {
            throw ValidationError("--threads \(threads): give a number of threads from 1 to 256")
        }
    }

    func run() throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        let errors = project.diagnostics.filter { $0.severity == .error }
        for d in project.diagnostics where d.severity == .error { printError(d.description) }
        if project.book.rules.isEmpty && !errors.isEmpty {
            printError("touchpoint: no valid rules; nothing to replay")
            throw ExitCode(1)
        }
        for path in events where !FileManager.default.isReadableFile(atPath: path) {
            printError("\(path): error: cannot read events file")
            throw ExitCode(1)
        }
        let until = self.until.flatMap { Self.untilInstant($0, zone: project.config.defaultTimezone) }
        let format = self.format ?? (Output.stdoutIsTerminal ? .table : .json)
        let showSuppressed = self.showSuppressed
        var settings = project.engineSettings(explain: explain)
        // The text lines behind each decision show in the HTML preview and in `--explain`'s timeline (which
        // keeps its own customer's); the JSON and table output do not print them otherwise.
        settings.keepsExplanations = html != nil
        var engine = Engine(book: project.book, templates: project.templates, settings: settings)
        engine.tracksChanges = false
        // Two threads: this one renders and writes, the replay thread decides. The engine only checks that
        // a send renders (the decision needs no more), so the output is the same as rendering in place.
        engine.defersRendering = true
        let handoff = Handoff<ReplayItem>(capacity: 16)
        let progress = ProgressBar.forReplay(of: events)
        let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let replayThread = Thread { [events, until, engine] in
            var batch: [MessageRecord] = []
            let emit: (MessageRecord) -> Void = { record in
                batch.append(record)
                if batch.count == 256 {
                    handoff.put(.records(batch))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            // One thread: this one decides too. More: customers are spread over workers (same output).
            var single: Replay?
            var partitioned: PartitionedReplay?
            if threads > 1 {
                partitioned = PartitionedReplay(
                    engine: engine, lateness: project.config.lateness, threads: threads)
                // Only the engine sees the events (the HTML preview's goals read the files again themselves).
                partitioned!.propertiesRead = engine.eventsReadingProperties
            } else {
                single = Replay(engine: engine, lateness: project.config.lateness)
                single!.propertiesRead = engine.eventsReadingProperties
            }
            func read(
                _ path: String, reject: (Replay.Rejection) -> Void, progress: ((UInt64) -> Void)?
            ) throws {
                if single != nil {
                    try single!.read(file: path, until: until, emit: emit, reject: reject, progress: progress)
                } else {
                    try partitioned!.read(
                        file: path, until: until, emit: emit, reject: reject, progress: progress)
                }
            }
            var done: UInt64 = 0
            for path in events {
                do {
                    try read(
                        path,
                        reject: { rejection in
                            progress?.clear()
                            printError("\(rejection)")
                        },
                        progress: progress.map { bar in { bar.update(done + $0) } })
                    done += ProgressBar.size(of: path)
                } catch {
                    if !batch.isEmpty { handoff.put(.records(batch)) }
                    handoff.put(.failed("\(path): error: \(error)"))
                    return
                }
            }
            progress?.finish()
            let outcome: ReplayOutcome
            if single != nil {
                single!.finish(until: until, emit: emit)
                outcome = single!.outcome
            } else {
                outcome = partitioned!.finish(until: until, emit: emit)
            }
            if !batch.isEmpty { handoff.put(.records(batch)) }
            handoff.put(.done(outcome))
        }
        replayThread.stackSize = 8 << 20
        replayThread.start()

        let templates = project.templates
        var out = Output.stdout()
        var sent = 0
        var held: [String: Int] = [:]
        let writeHTML = html != nil
        var preview = PreviewSummary(chartZone: project.config.defaultTimezone)
        // The preview's goals section (touchpoint report), when a rule names a goal.
        var goals: GoalReport? =
            writeHTML && project.ruleSet.rules.contains { $0.goal != nil }
            ? GoalReport(rules: project.book.rules.map(\.rule)) : nil
        var table: [TableRow] = []
        var finished: ReplayOutcome?
        while finished == nil {
            switch handoff.take() {
            case .records(let records):
                for var record in records {
                    record.completeRendering(with: templates)
                    if writeHTML { preview.add(record, card: record.decision == .send || showSuppressed) }
                    goals?.add(record)
                    if record.decision == .send {
                        sent += 1
                    } else {
                        held[record.reason?.rawValue ?? "?", default: 0] += 1
                        guard showSuppressed else { continue }
                    }
                    switch format {
                    case .json: out.line { record.writeJSONLine(into: &$0) }
                    case .blocks: out.line(record.tableBlock(explain: explain == record.customer) + "\n")
                    case .table: table.append(TableRow(record))
                    }
                }
            case .failed(let message):
                out.flush()
                printError(message)
                throw ExitCode(1)
            case .done(let replay):
                finished = replay
            }
        }
        if format == .table {
            table.sort()
            let lines = TextTable.render(
                header: [
                    "TIME (CUSTOMER'S ZONE)", "RULE", "CUSTOMER", "CHANNEL", "DECISION", "SUBJECT / TEXT",
                ],
                rows: table.map(\.cells))
            for line in lines { out.line(line) }
            let heldTotal = held.values.reduce(0, +)
            var footer = "\(table.count) message\(table.count == 1 ? "" : "s"): \(sent) to send"
            if heldTotal > 0 {
                footer +=
                    ", \(heldTotal) held back ("
                    + held.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + ")"
                if !showSuppressed { footer += " not listed (--show-suppressed lists them)" }
            }
            out.line(footer)
        }
        out.flush()
        let replay = finished!
        if let html {
            if var goals {
                for path in events { try? goals.read(file: path) }
                preview.goals = goals.results()
            }
            let page = PreviewPage.render(
                summary: preview, title: "touchpoint dry-run: " + events.joined(separator: ", "))
            do {
                try page.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                printError("\(html): error: cannot write the HTML preview: \(error)")
                throw ExitCode(1)
            }
        }
        if let explain {
            let trace = replay.trace
            if trace.isEmpty {
                printError(
                    "touchpoint: --explain \(explain): no events for customer '\(explain)' in "
                        + events.joined(separator: ", "))
                throw ExitCode(1)
            }
            printError(trace.joined(separator: "\n"))
        }
        let stats = replay.stats
        var summary = "dry-run: \(replay.linesRead) lines, \(stats.eventsApplied) events applied"
        if stats.duplicates > 0 { summary += ", \(stats.duplicates) duplicate" }
        if !replay.rejections.isEmpty { summary += ", \(replay.rejections.count) rejected" }
        for far in replay.farAhead { printError("\(far)") }
        if replay.lateCount > 0 {
            summary +=
                ", \(replay.lateCount) later than the lateness window (at most "
                + Replay.describe(milliseconds: replay.maxLateMilliseconds) + " late)"
        }
        summary += "; \(sent) message\(sent == 1 ? "" : "s") would be sent"
        if !held.isEmpty {
            summary +=
                ", \(held.values.reduce(0, +)) held back ("
                + held.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + ")"
        }
        printError(summary)
        for (rule, failure) in stats.expressionFailures.sorted(by: { $0.key < $1.key }) {
            printError(
                "warning: rule \(rule): condition failed \(failure.count)× (treated as false); first: \(failure.first)"
            )
        }
        if !errors.isEmpty { throw ExitCode(1) }
    }
}

extension DryRun {
    /// `--until`'s instant: a time with an offset as written; a local time (`2026-11-21T10:00`) or a bare
    /// date (`2026-11-21`, its midnight) in `zone`. In a DST gap the first instant after it.
    static func untilInstant(_ text: String, zone: Zone) -> Instant? {
        if let t = ISO8601.parse(text) { return t.instant }
        let parts = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
            let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        if parts.count == 2 {
            let time = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(time.count), time.allSatisfy({ $0.count == 2 }),
                let h = Int(time[0]), let m = Int(time[1]), (0..<24).contains(h), (0..<60).contains(m),
                time.count == 2 || Int(time[2]).map({ (0..<60).contains($0) }) == true
            else { return nil }
            hour = h
            minute = m
            let second = time.count == 3 ? Int(time[2])! : 0
            return local(zone, year, month, day, hour, minute).map {
                Instant(seconds: $0.epochSeconds + Int64(second))
            }
        }
        return local(zone, year, month, day, hour, minute)
    }

    private static func local(_ zone: Zone, _ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int) -> Instant? {
        // Round-trip the civil date so 2026-02-30 is refused rather than read as 2 March.
        let days = ISO8601.daysFromCivil(year: y, month: mo, day: d)
        guard ISO8601.civilFromDays(days) == (y, mo, d) else { return nil }
        if let first = zone.instants(year: y, month: mo, day: d, hour: h, minute: mi).first { return first }
        // A DST gap: the wall time does not exist; the hour after it does.
        return zone.instants(year: y, month: mo, day: d, hour: h + 1, minute: 0).first
    }
}

/// One line of the dry-run table, sortable: by time, then customer, rule and message id.
struct TableRow: Comparable {
    var at: Int64
    var customer: String
    var rule: String
    var messageId: String
    var cells: [String]

    init(_ r: MessageRecord) {
        let when = r.sendAt ?? r.decidedAt
        at = when.milliseconds
        customer = r.customer
        rule = r.rule
        messageId = r.messageId
        let decision = r.decision == .send ? "send" : "held: \(r.reason?.rawValue ?? "?")"
        var what = ""
        if let content = r.content {
            what =
                content.subject
                ?? content.text.split(whereSeparator: \.isNewline).first.map {
                    $0.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                } ?? ""
        } else if let detail = r.detail {
            what = "(\(detail))"
        }
        cells = [
            TableRow.short(r.zone.format(when)), r.rule, r.customer, r.channel?.rawValue ?? "-", decision,
            TextTable.truncate(what, cells: 60),
        ]
    }

    static func < (a: TableRow, b: TableRow) -> Bool {
        (a.at, a.customer, a.rule, a.messageId) < (b.at, b.customer, b.rule, b.messageId)
    }

    static func == (a: TableRow, b: TableRow) -> Bool { a.messageId == b.messageId && a.at == b.at }

    /// `2026-11-20T19:00:00+08:00` → `2026-11-20 19:00 +08:00`.
    static func short(_ iso: String) -> String {
        guard iso.count >= 19 else { return iso }
        let date = iso.prefix(10)
        let time = iso.dropFirst(11).prefix(5)
        var zone = String(iso.dropFirst(19))
        if zone.hasPrefix(".") { zone = String(zone.drop(while: { $0 != "+" && $0 != "-" && $0 != "Z" })) }
        return "\(date) \(time) \(zone == "Z" ? "+00:00" : zone)"
    }
}

/// What the replay thread hands to the writing thread.
enum ReplayItem: Sendable {
    /// Decisions, in order; sends still to be rendered.
    case records([MessageRecord])
    /// The replay stopped: an events file could not be read.
    case failed(String)
    /// Every file was read and every timer run out; what the summary says.
    case done(ReplayOutcome)
}
