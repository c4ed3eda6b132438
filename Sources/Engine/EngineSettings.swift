import Scheduler
import Templates
import TouchpointCore

/// Everything the engine needs besides rules and templates.
public struct EngineSettings: Sendable {
    public var scheduler: SchedulerSettings
    /// Per channel, the compiled `unsubscribe-url` (`https://shop.example/u/{{message.id}}`).
    public var unsubscribeLinks: [Channel: LinkTemplate]
    /// Signs tracked links when the config has `http` (SPEC §9): links, the pixel and the unsubscribe page.
    public var links: LinkTracker?
    /// How late past its window (plus this grace) a message may still go out (SPEC §2 `max-lateness`).
    public var maxLateness: TimeSpan
    /// A customer whose timeline is traced for `--explain`.
    public var explainCustomer: String?
    /// Whether every decision keeps the scheduler's text lines (`MessageRecord.explanation`): the HTML
    /// preview and the daemon's saved state show them. When false, only `explainCustomer`'s do.
    public var keepsExplanations = true
    /// Assigns customers to the control group (`holdout-key`).
    public var holdout = Holdout()
    /// The config's `holdout` share (0…1), for rules that set none.
    public var holdoutShare: Double = 0

    public init(
        scheduler: SchedulerSettings, unsubscribeLinks: [Channel: LinkTemplate] = [:],
        maxLateness: TimeSpan = .hours(1), explainCustomer: String? = nil
    ) {
        self.scheduler = scheduler
        self.unsubscribeLinks = unsubscribeLinks
        self.maxLateness = maxLateness
        self.explainCustomer = explainCustomer
    }
}

extension EngineSettings {
    /// What an `unsubscribe-url` may name: the customer's traits, the message and the rule.
    public static let linkRoots: [String: [String]?] = [
        "customer": nil, "message": ["id", "channel"], "rule": ["name"],
    ]

    /// The one builder of a configured unsubscribe link (the engine's render context and the
    /// `List-Unsubscribe` it records, `send-test`): `nil` when the channel has none, a failure naming
    /// a variable the customer lacks.
    public func unsubscribeURL(channel: Channel, messageId: String, customer: Customer?, rule: String)
        -> Result<String, RenderFailure>?
    {
        guard let link = unsubscribeLinks[channel] else { return nil }
        let context: JSONValue = [
            "customer": customer?.contextValue ?? [:],
            "message": ["id": .string(messageId), "channel": .string(channel.rawValue)],
            "rule": ["name": .string(rule)],
        ]
        return link.render(
            context: context, name: "channels.\(channel.rawValue).unsubscribe-url", file: "unsubscribe-url")
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
    /// Waiting messages restored with a new due time: their rule's `wait` changed (a reload).
    public var retimedOnRestore = 0

    public init() {}
}
