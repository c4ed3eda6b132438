import ArgumentParser
import Engine
import Foundation
import Preview
import TouchpointCore

/// `touchpoint report EVENTS... | --store PATH`: what each rule's messages did, against its holdout.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per rule: sent, opened, clicked, goal conversions among receivers vs the holdout, uplift.",
        discussion: """
            With event files, replays them as dry-run does and measures the goals on the same history. With \
            --store, reads what a daemon delivered and held out from its store and the goal events from the \
            config's events folder. The uplift's 95 % interval is \(Uplift.method).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table
        case json
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "JSON Lines event files, replayed in the order given.")
    var events: [String] = []

    @Option(help: "Read the exposures from this store (a SQLite file) instead of replaying events.")
    var store: String?

    @Option(help: "table (default on a terminal) or json (one object per rule and line).")
    var format: Format?

    @Option(help: "Also write the HTML preview, with a goals section and its chart, to this file.")
    var html: String?

    func validate() throws {
        if events.isEmpty == (store == nil) {
            throw ValidationError("give event files or --store PATH (not both)")
        }
        if store != nil, html != nil {
            throw ValidationError("--html needs event files (it previews their messages)")
        }
    }

    func run() async throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        for d in project.diagnostics where d.severity == .error { printError(d.description) }
        if project.hasErrors {
            printError("touchpoint: the project has errors; fix them first (touchpoint check)")
            throw ExitCode(1)
        }
        var report: GoalReport
        var records: [MessageRecord] = []
        if let store {
            report = try await GoalReport.fromStore(path: store, project: project)
        } else {
            for path in events where !FileManager.default.isReadableFile(atPath: path) {
                printError("\(path): error: cannot read events file")
                throw ExitCode(1)
            }
            (report, records) = try GoalReport.replay(
                project: project, files: events, keepRecords: html != nil, reject: { printError("\($0)") })
        }
        let rows = report.results()
        var out = Output.stdout()
        switch format ?? (Output.stdoutIsTerminal ? .table : .json) {
        case .json:
            for row in rows { out.line(row.jsonLine) }
        case .table:
            for line in GoalReport.table(rows) { out.line(line) }
        }
        out.flush()
        if let html {
            var summary = PreviewSummary(chartZone: project.config.defaultTimezone)
            for var r in records {
                r.completeRendering(with: project.templates)
                summary.add(r, card: r.decision == .send)
            }
            summary.goals = rows
            let page = PreviewPage.render(
                summary: summary, title: "touchpoint report: " + events.joined(separator: ", "))
            do {
                try page.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                printError("\(html): error: cannot write the HTML preview: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
