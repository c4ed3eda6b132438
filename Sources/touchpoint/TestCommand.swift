import ArgumentParser
import Engine
import Foundation
import Rules
import TouchpointCore

/// `touchpoint test [FILES]`: run rule tests against the project's rules and templates in virtual time.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule tests (default: <rules>/tests/*.yaml) against the project's rules and templates.",
        discussion: """
            Prints ok/FAIL per test and, for a failure, only what differs, each with the test file's \
            path:line. The last line is 'N passed, M failed'. Exits 1 if a test fails or a test file, rule \
            or template has errors. With --format json, stdout holds one object per test and the \
            diagnostics and summary go to stderr.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Rule test files (default: every *.yaml / *.yml in the rules directory's tests/).")
    var files: [String] = []

    @Option(help: "text (default) or json (one object per test).")
    var format: Format = .text

    func run() throws {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        var out = Output.stdout()
        // Text goes to one stream so diagnostics stay next to the results; JSON keeps stdout machine-only.
        let note: (String) -> Void = { [format] line in
            if format == .text { out.line(line) } else { printError(line) }
        }
        let projectErrors = project.diagnostics.filter { $0.severity == .error }
        for d in projectErrors { note(d.description) }

        var paths = files
        if paths.isEmpty {
            let directory = project.config.rulesDirectory + "/tests"
            paths = RuleTestFile.files(in: directory)
            if paths.isEmpty { note("touchpoint: no rule tests in \(directory)") }
        }
        let runner = RuleTestRunner(project: project)
        var passed = 0
        var failed = 0
        var fileErrors = false
        for path in paths {
            // One file at a time, so a long suite shows progress and a bad file is reported where it sits.
            let report = runner.run(files: [path])
            for d in report.diagnostics { note(d.description) }
            if report.diagnostics.contains(where: { $0.severity == .error }) { fileErrors = true }
            for result in report.results {
                switch format {
                case .text: for line in result.textLines { out.line(line) }
                case .json: out.line(result.jsonLine)
                }
            }
            passed += report.passed
            failed += report.failed
            out.flush()
        }
        let summary = "\(passed) passed, \(failed) failed"
        if format == .text { out.line(summary) } else { printError(summary) }
        out.flush()
        if failed > 0 || fileErrors || !projectErrors.isEmpty { throw ExitCode(1) }
    }
}
