import Channels
import TouchpointCore

/// How the daemon runs: sizes, intervals and policies (the config's values, plus command-line flags).
public struct DaemonOptions: Sendable {
    /// The config file to (re)load.
    public var configPath: String?
    /// The environment for `${VAR}` in the config.
    public var environment: [String: String]
    /// Lines read and applied per committed batch.
    public var batchLines = 5000
    /// How often to look for new lines and due timers when nothing wakes the daemon.
    public var pollMilliseconds: Int64 = 200
    /// How often to look for changed rule and template files.
    public var reloadCheckMilliseconds: Int64 = 1000
    /// Sends in flight at once.
    public var concurrency = 32
    /// Attempts before a message is dead-lettered, for every channel (`--max-attempts`): the channel's
    /// schedule, its last wait repeated. `nil`: each channel's `retry:` block, or the standard schedule.
    public var maxAttempts: Int?
    /// Re-read every events file from its start (events with a `messageId` are still applied once).
    public var fromStart = false
    /// The store is new on purpose: start after the lines already in the events folder instead of
    /// refusing to start (see ``Daemon/run(options:logger:clock:)``).
    public var newStore = false
    /// How long a graceful shutdown waits for in-flight sends before it cuts them; the whole shutdown
    /// stays within this bound plus the time to record what was cut.
    public var shutdownGraceMilliseconds: Int64 = 14_000
    /// A name for this process in the outbox's lease column.
    public var leaseOwner = "touchpoint"
    /// Told the bound port once the HTTP side listens (`http.listen` port 0 picks a free one).
    public var httpListening: (@Sendable (Int) -> Void)?

    public init(configPath: String?, environment: [String: String]) {
        self.configPath = configPath
        self.environment = environment
    }
}
