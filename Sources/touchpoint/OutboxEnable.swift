import ArgumentParser
import Daemon
import Engine
import Foundation

extension Outbox {
    /// `touchpoint outbox enable CHANNEL`: sends to a channel again after its endpoint answered 410 Gone.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Enable a channel disabled by a 410 Gone answer (a running daemon notices within a second).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The channel to enable (email, sms or chat).")
        var channel: String

        func run() async throws {
            let project = Project.load(
                configPath: global.config, environment: ProcessInfo.processInfo.environment)
            guard let opened = try await Stores.open(project.config) else {
                printError("\(project.config.storePath): no store yet (touchpoint run creates it)")
                throw ExitCode(1)
            }
            let enabled = try await DisabledEndpoints.enable(channel, in: opened.store)
            await opened.close()
            if enabled {
                print(
                    "enabled channel \(channel); its dead letters stay dead (touchpoint outbox retry --all-dead)"
                )
            } else {
                printError("channel \(channel) is not disabled; nothing changed")
                throw ExitCode(1)
            }
        }
    }
}
