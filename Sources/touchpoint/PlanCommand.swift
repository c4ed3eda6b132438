import ArgumentParser
import Engine
import Foundation
import Preview
import Rules
import Store
import Templates
import TouchpointCore

/// `touchpoint plan EVENTS... [--base GIT-REF | --base-dir DIR]`: what a rule change would change.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Replay events with the base and the working rules and print what the change would change.",
        discussion: """
            The base is a git ref (--base, default HEAD: its rules, templates and config are taken with git \
            archive) or a folder laid out like the project (--base-dir). Per rule it prints the messages \
            added, removed, moved (another channel or send time) and with other content, and the customers \
            affected. --store PATH adds what a reload would do to the messages pending in that store.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table
        case json
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "JSON Lines event files, replayed in the order given.")
    var events: [String] = []

    @Option(help: "The git ref whose rules, templates and config are the base (default HEAD).")
    var base: String?

    @Option(help: "A folder holding the base project (its touchpoint.yaml, or rules/ and templates/).")
    var baseDir: String?

    @Option(help: "table (default on a terminal) or json.")
    var format: Format?

    @Option(help: "Also write a side-by-side HTML page of the differences to this file.")
    var html: String?

    @Option(help: "Also say what a reload would do to the messages pending in this SQLite store.")
    var store: String?

    @Flag(help: "Exit 2 when anything changes (0: nothing, 1: an error), like terraform plan.")
    var detailedExitcode = false

    /// How many changes per rule get a content diff.
    static let diffsPerRule = 3

    func validate() throws {
        if base != nil, baseDir != nil { throw ValidationError("give --base or --base-dir, not both") }
        if events.isEmpty, store == nil { throw ValidationError("give event files, --store PATH, or both") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let head = Project.load(configPath: global.config, environment: environment)
        if head.hasErrors {
            for d in head.diagnostics where d.severity == .error { printError(d.description) }
            printError("touchpoint: the working rules have errors; fix them first (touchpoint check)")
            throw ExitCode(1)
        }
        for path in events where !FileManager.default.isReadableFile(atPath: path) {
            printError("\(path): error: cannot read events file")
            throw ExitCode(1)
        }
        let format = self.format ?? (Output.stdoutIsTerminal ? .table : .json)
        var out = Output.stdout()
        var changed = false
        if !events.isEmpty {
            let (baseProject, cleanup) = try loadBase(head: head, environment: environment)
            defer { cleanup() }
            if baseProject.hasErrors {
                for d in baseProject.diagnostics where d.severity == .error { printError(d.description) }
                printError("touchpoint: the base rules have errors")
                throw ExitCode(1)
            }
            let before = try replay(baseProject)
            let after = try replay(head)
            let plan = Plan.compare(base: before, head: after)
            changed = !plan.isEmpty
            switch format {
            case .table: for line in PlanCommand.table(plan) { out.line(line) }
            case .json: for line in PlanCommand.json(plan) { out.line(line) }
            }
            if let html {
                do {
                    try PlanPage.render(plan, title: "touchpoint plan: " + events.joined(separator: ", "))
                        .write(toFile: html, atomically: true, encoding: .utf8)
                } catch {
                    printError("\(html): error: cannot write the HTML page: \(error)")
                    throw ExitCode(1)
                }
            }
        }
        if let store {
            let reload = try await reloadPlan(store: store, rules: head.ruleSet.rules)
            if reload.retimed + reload.dropped > 0 { changed = true }
            switch format {
            case .table: for line in PlanCommand.table(reload) { out.line(line) }
            case .json: out.line(PlanCommand.json(reload))
            }
        }
        out.flush()
        if detailedExitcode, changed { throw ExitCode(2) }
    }

    /// Every decision of one replay of the events, rendered.
    private func replay(_ project: Project) throws -> [MessageRecord] {
        var settings = project.engineSettings()
        settings.keepsExplanations = false
        var engine = Engine(book: project.book, templates: project.templates, settings: settings)
        engine.tracksChanges = false
        var replay = Replay(engine: engine, lateness: project.config.lateness)
        var records: [MessageRecord] = []
        for path in events {
            try replay.read(file: path, emit: { records.append($0) }, reject: { _ in })
        }
        replay.finish(until: nil) { records.append($0) }
        return records
    }

    /// The base project and what removes its temporary copy.
    private func loadBase(head: Project, environment: [String: String]) throws -> (Project, () -> Void) {
        if let baseDir {
            let name = head.config.path.map { ($0 as NSString).lastPathComponent } ?? Config.defaultPath
            let config = baseDir + "/" + name
            let path = FileManager.default.fileExists(atPath: config) ? config : nil
            if let path { return (Project.load(configPath: path, environment: environment), {}) }
            var defaults = Config.defaults(baseDirectory: baseDir)
            defaults.channels = head.config.channels
            return (loadParts(defaults), {})
        }
        return try GitBase.load(ref: base ?? "HEAD", head: head, environment: environment)
    }

    private func loadParts(_ config: Config) -> Project {
        let (ruleSet, ruleDiagnostics) = RuleSet.load(directory: config.rulesDirectory)
        let (templates, templateDiagnostics) = TemplateSet.load(directory: config.templatesDirectory)
        return Project.assemble(
            config: config, ruleSet: ruleSet, templates: templates,
            diagnostics: ruleDiagnostics + templateDiagnostics)
    }

    private func reloadPlan(store path: String, rules: [Rule]) async throws -> ReloadPlan {
        guard FileManager.default.fileExists(atPath: path) else {
            printError("\(path): error: no such store")
            throw ExitCode(1)
        }
        let stored = try await SQLiteStore(path: path).load()
        let (_, states) = try Engine.decode(customers: stored.customers, globals: nil)
        return ReloadPlan.classify(states, rules: rules)
    }
}
