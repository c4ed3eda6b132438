import ArgumentParser
import Daemon
import Engine
import Foundation
import TouchpointCore

/// `touchpoint check`: validate config, rules, templates and every reference between them.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate config, rules, templates and their cross-references.",
        discussion: "Prints path:line:col: error: message (and warnings); exits 1 on errors.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: "text (default) or json (one diagnostic object per line).")
    var format: Format = .text

    func run() throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        var out = Output.stdout()
        // The channel adapters' own options are checked against the registry that builds them.
        let diagnostics = (project.diagnostics + Adapters.check(config: project.config)).sorted { a, b in
            switch (a.location, b.location) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x < y
            }
        }
        switch format {
        case .json:
            for d in diagnostics { out.line(d.json.jsonText) }
        case .text:
            for d in diagnostics { out.line(d.description) }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.filter { $0.severity == .warning }.count
            out.line(
                "check: \(project.book.rules.count) rules, \(project.templates.templateNames.count) templates; "
                    + "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
            )
        }
        out.flush()
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
