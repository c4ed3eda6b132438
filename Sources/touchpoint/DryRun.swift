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
        case table
        case json
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "JSON Lines event files, replayed in the order given.")
    var events: [String]

    @Option(help: "Stop the virtual clock at this time (ISO 8601 with offset).")
    var until: String?

    @Option(help: "table (default on a terminal) or json (one object per line).")
    var format: Format?

    @Flag(help: "Also print messages that were held back, and why.")
    var showSuppressed = false

    @Option(help: "Print this customer's timeline: events, triggers, cancellations, scheduling numbers.")
    var explain: String?

    @Option(help: "Also write a self-contained HTML preview of every message to this file.")
    var html: String?

    func validate() throws {
        if let until, ISO8601.parse(until) == nil {
            throw ValidationError(
                "--until '\(until)' is not an ISO 8601 time with an offset (2026-11-20T10:00:00+08:00)")
        }
        if events.isEmpty { throw ValidationError("give at least one events file") }
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
        let until = self.until.flatMap { ISO8601.parse($0)?.instant }
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
        let replayThread = Thread { [events, until, engine] in
            var replay = Replay(engine: engine, lateness: project.config.lateness)
            var batch: [MessageRecord] = []
            let emit: (MessageRecord) -> Void = { record in
                batch.append(record)
                if batch.count == 256 {
                    handoff.put(.records(batch))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            for path in events {
                do {
                    try replay.read(file: path, until: until, emit: emit) { rejection in
                        printError("\(rejection)")
                    }
                } catch {
                    if !batch.isEmpty { handoff.put(.records(batch)) }
                    handoff.put(.failed("\(path): error: \(error)"))
                    return
                }
            }
            replay.finish(until: until, emit: emit)
            if !batch.isEmpty { handoff.put(.records(batch)) }
            handoff.put(.done(replay))
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
        var finished: Replay?
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
                    case .table: out.line(record.tableBlock(explain: explain == record.customer) + "\n")
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
        if explain != nil {
            let trace = replay.engine.trace
            printError(trace.isEmpty ? "no events for customer '\(explain!)'" : trace.joined(separator: "\n"))
        }
        let stats = replay.engine.stats
        var summary = "dry-run: \(replay.linesRead) lines, \(stats.eventsApplied) events applied"
        if stats.duplicates > 0 { summary += ", \(stats.duplicates) duplicate" }
        if !replay.rejections.isEmpty { summary += ", \(replay.rejections.count) rejected" }
        for far in replay.farAhead { printError("\(far)") }
        if replay.sequencer.lateCount > 0 {
            summary +=
                ", \(replay.sequencer.lateCount) later than the lateness window (at most "
                + Replay.describe(milliseconds: replay.sequencer.maxLateMilliseconds) + " late)"
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

/// What the replay thread hands to the writing thread.
enum ReplayItem: Sendable {
    /// Decisions, in order; sends still to be rendered.
    case records([MessageRecord])
    /// The replay stopped: an events file could not be read.
    case failed(String)
    /// Every file was read and every timer run out; the final state, for the summary.
    case done(Replay)
}
