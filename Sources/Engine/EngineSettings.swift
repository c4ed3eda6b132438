import Scheduler
import Templates
import TouchpointCore

/// Everything the engine needs besides rules and templates.
public struct EngineSettings: Sendable {
    public var scheduler: SchedulerSettings
    /// Per channel, the unsubscribe URL template (`https://shop.example/u/{{message.id}}`).
    public var unsubscribeURLs: [Channel: String]
    /// Signs tracked links when the config has `http` (SPEC §9): links, the pixel and the unsubscribe page.
    public var links: LinkTracker?
    /// How late past its window (plus this grace) a message may still go out (SPEC §2 `max-lateness`).
    public var maxLateness: TimeSpan
    /// A customer whose timeline is traced for `--explain`.
    public var explainCustomer: String?
    /// Whether every decision keeps the scheduler's text lines (`MessageRecord.explanation`): the HTML
    /// preview and the daemon's saved state show them. When false, only `explainCustomer`'s do.
    public var keepsExplanations = true

    public init(
        scheduler: SchedulerSettings, unsubscribeURLs: [Channel: String] = [:], maxLateness: TimeSpan = .hours(1),
        explainCustomer: String? = nil
    ) {
        self.scheduler = scheduler
        self.unsubscribeURLs = unsubscribeURLs
        self.maxLateness = maxLateness
        self.explainCustomer = explainCustomer
    }
}

/// Counters the engine keeps while it runs.
public struct EngineStats: Sendable {
    public var eventsApplied = 0
    public var duplicates = 0
    public var ignored = 0
    public var lateEvents = 0
    public var triggers = 0
    public var sent = 0
    public var suppressed: [SuppressionReason: Int] = [:]
    /// Expression failures per rule: count and the first message (logged once per rule).
    public var expressionFailures: [String: (count: Int, first: String)] = [:]
    /// Consent events whose channel was missing or unknown.
    public var consentWithoutChannel = 0
    /// Pending messages or deadlines restored for rules that no longer exist.
    public var droppedOnRestore = 0

    public init() {}
}
