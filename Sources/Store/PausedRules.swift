import TouchpointCore

/// Rules paused by `touchpoint pause`, kept in the store so every daemon on it (every node of a cluster)
/// honours them at its next claim: a paused rule's outbox rows are not claimed, so nothing of it is sent,
/// while the engine goes on deciding its messages on their timers. On resume the waiting rows go out, or are
/// dropped `window-expired` at their claim when their window (plus `max-lateness`) has passed meanwhile.
public protocol PausedRules: Sendable {
    /// Pauses `rule` (``PausedRule/all`` pauses every rule); `false` when it was already paused.
    @discardableResult
    func pause(rule: String, at: Instant) async throws -> Bool

    /// Resumes `rule` (``PausedRule/all`` lifts `--all`, not single pauses); `false` when it was not paused.
    @discardableResult
    func resume(rule: String) async throws -> Bool

    /// Every pause, oldest first.
    func paused() async throws -> [PausedRule]

    /// Outbox rows waiting (pending or retry) per paused rule name; ``PausedRule/all`` counts every rule's.
    func waitingWhilePaused() async throws -> [String: Int]
}

/// One pause.
public struct PausedRule: Sendable, Hashable {
    /// The name `touchpoint pause --all` is stored under.
    public static let all = "*"

    public var rule: String
    public var since: Instant

    public init(rule: String, since: Instant) {
        self.rule = rule
        self.since = since
    }
}

extension PausedRule {
    /// The claim queries' condition: the row's rule is not paused, nor is everything.
    static let notPausedSQL =
        "NOT EXISTS (SELECT 1 FROM paused_rules p WHERE p.rule = outbox.rule OR p.rule = '*')"

    static let tableSQL = """
        CREATE TABLE paused_rules (
            rule TEXT PRIMARY KEY NOT NULL CHECK (length(rule) > 0),
            paused_at BIGINT NOT NULL
        )
        """
}
