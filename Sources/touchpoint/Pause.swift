import ArgumentParser
import Daemon
import Engine
import Foundation
import Store
import TouchpointCore

/// `touchpoint pause RULE|--all`: stop a rule's sends on every daemon of the store, keeping its timers.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause a rule (or every rule) on the running daemons: timers go on, nothing is sent.",
        discussion: """
            The pause is kept in the store, so every daemon on it (every node of a cluster) honours it at its \
            next claim, within about a second. The paused rule's messages are still decided when due and wait \
            in the outbox; `touchpoint resume` sends them, except those whose window (send.within plus \
            max-lateness) ended meanwhile: they are dropped as window-expired.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The rule to pause.")
    var rule: String?

    @Flag(help: "Pause every rule.")
    var all = false

    func validate() throws {
        if (rule == nil) == !all { throw ValidationError("give a rule name or --all (not both)") }
    }

    func run() async throws {
        let (project, store, close) = try await PauseStore.open(global)
        let name = rule ?? PausedRule.all
        if let rule, project.book.index(of: rule) == nil {
            await close()
            let hint = Suggest.didYouMean(rule, in: project.book.rules.map(\.name))
            printError("touchpoint: no rule '\(rule)' in \(project.config.rulesDirectory)\(hint)")
            throw ExitCode(1)
        }
        // Whole seconds: `status` prints the time, and nobody needs its milliseconds.
        let now = Instant(milliseconds: Int64(Date().timeIntervalSince1970) * 1000)
        let changed = try await store.pause(rule: name, at: now)
        await close()
        let what = rule.map { "rule \($0)" } ?? "every rule"
        print(changed ? "paused \(what)" : "\(what) was already paused")
    }
}

/// `touchpoint resume RULE|--all`: lift a pause.
struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Resume a paused rule (or lift --all): its waiting messages go out, or expire by their window.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The rule to resume.")
    var rule: String?

    @Flag(help: "Lift `pause --all` (rules paused one by one stay paused).")
    var all = false

    func validate() throws {
        if (rule == nil) == !all { throw ValidationError("give a rule name or --all (not both)") }
    }

    func run() async throws {
        let (_, store, close) = try await PauseStore.open(global)
        let changed = try await store.resume(rule: rule ?? PausedRule.all)
        await close()
        let what = rule.map { "rule \($0)" } ?? "every rule (--all)"
        print(changed ? "resumed \(what)" : "\(what) was not paused")
        if !changed { throw ExitCode(1) }
    }
}

enum PauseStore {
    /// The project and its store, as something that keeps pauses.
    static func open(_ global: GlobalOptions) async throws -> (
        Project, any PausedRules, @Sendable () async -> Void
    ) {
        let project = Project.load(
            configPath: global.config, environment: ProcessInfo.processInfo.environment)
        guard let opened = try await Stores.open(project.config) else {
            printError("\(project.config.storePath): no store yet (touchpoint run creates it)")
            throw ExitCode(1)
        }
        guard let store = opened.store as? any PausedRules else {
            await opened.close()
            printError("touchpoint: this store cannot keep pauses")
            throw ExitCode(1)
        }
        return (project, store, { await opened.close() })
    }
}
