import ArgumentParser

/// The `touchpoint` command: behaviour-triggered messages, as code.
@main
struct Touchpoint: AsyncParsableCommand {
    /// What `touchpoint --version` prints.
    static let version = "touchpoint 0.15.0"

    static let configuration = CommandConfiguration(
        commandName: "touchpoint",
        abstract: "Behaviour-triggered omnichannel messaging: rules in git, a preview before anything ships.",
        version: Touchpoint.version,
        subcommands: [Check.self, DryRun.self, Test.self, SendTest.self, Run.self, Status.self, Outbox.self])
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The config file (default ./touchpoint.yaml; built-in defaults when absent).")
    var config: String?
}
