import TouchpointCore

/// One entry of a `rules/tests/*.yaml` file: customers and events replayed from `start`, and the messages
/// that must fire (SPEC §2 "Rule tests").
public struct RuleTest: Sendable, Hashable {
    /// What the test pins down, printed with `ok` / `FAIL`.
    public var name: Located<String>
    /// The test's clock start; relative times count from it.
    public var start: Timestamp
    /// The customers known before the first event, in file order.
    public var customers: [TestCustomer]
    /// The events to replay, in file order.
    public var events: [TestEvent]
    /// Where the clock stops; `nil` runs every pending timer out.
    public var until: TimeRef?
    /// Only these rules' messages are compared; `nil` compares all.
    public var rules: [Located<String>]?
    /// The messages that must fire, one to one.
    public var expect: [Expectation]
    /// Where the test's mapping starts.
    public var location: SourceLocation

    /// A rule test.
    public init(
        name: Located<String>, start: Timestamp, customers: [TestCustomer] = [], events: [TestEvent] = [],
        until: TimeRef? = nil, rules: [Located<String>]? = nil, expect: [Expectation] = [],
        location: SourceLocation
    ) {
        self.name = name
        self.start = start
        self.customers = customers
        self.events = events
        self.until = until
        self.rules = rules
        self.expect = expect
        self.location = location
    }

    /// The instant the clock stops at, if the test sets one.
    public var untilInstant: Instant? { until?.instant(from: start.instant) }
}

/// A customer profile a rule test starts with.
public struct TestCustomer: Sendable, Hashable {
    /// The customer id (`userId`).
    public var id: Located<String>
    /// The traits, as an `identify` would set them.
    public var traits: [String: JSONValue]

    /// A test customer.
    public init(id: Located<String>, traits: [String: JSONValue]) {
        self.id = id
        self.traits = traits
    }
}

/// An event a rule test replays: a `track` (with `event:`) or an `identify` (with `identify:` traits).
public struct TestEvent: Sendable, Hashable {
    /// When it happens.
    public var at: TimeRef
    /// The customer id.
    public var customer: Located<String>
    /// The `track` event name; `nil` for an identify.
    public var name: Located<String>?
    /// The traits of an identify; `nil` for a track.
    public var identify: [String: JSONValue]?
    /// The track properties.
    public var properties: [String: JSONValue]
    /// The idempotency key, if given.
    public var messageId: String?
    /// Where the event's entry starts.
    public var location: SourceLocation

    /// A test event.
    public init(
        at: TimeRef, customer: Located<String>, name: Located<String>? = nil,
        identify: [String: JSONValue]? = nil,
        properties: [String: JSONValue] = [:], messageId: String? = nil, location: SourceLocation
    ) {
        self.at = at
        self.customer = customer
        self.name = name
        self.identify = identify
        self.properties = properties
        self.messageId = messageId
        self.location = location
    }

    /// The Core event this stands for, with times resolved against the test's start.
    public func event(start: Timestamp) -> Event {
        Event(
            kind: name == nil ? .identify : .track, name: name?.value, userId: customer.value,
            messageId: messageId,
            timestamp: at.timestamp(from: start), properties: properties, traits: identify ?? [:],
            source: location)
    }
}

/// One expected message of a rule test; fields left out match anything.
public struct Expectation: Sendable, Hashable {
    /// Whether the message is sent or held back.
    public enum Decision: String, Sendable, Hashable, CaseIterable {
        /// Sent.
        case send
        /// Held back, with a reason.
        case suppressed
    }

    /// The rule that fired it.
    public var rule: Located<String>?
    /// The customer id.
    public var customer: String?
    /// The channel chosen.
    public var channel: Channel?
    /// The send time chosen.
    public var sendAt: TimeRef?
    /// `send` unless the entry says otherwise or names a `reason`.
    public var decision: Decision
    /// Why it was held back.
    public var reason: SuppressionReason?
    /// A fragment that must appear in the subject, text or HTML.
    public var text: String?
    /// Whether the message is a fallback follow-up (`send.fallback`) of an earlier send.
    public var fallback: Bool?
    /// Where the entry starts.
    public var location: SourceLocation

    /// An expectation.
    public init(
        rule: Located<String>? = nil, customer: String? = nil, channel: Channel? = nil,
        sendAt: TimeRef? = nil,
        decision: Decision = .send, reason: SuppressionReason? = nil, text: String? = nil,
        location: SourceLocation
    ) {
        self.rule = rule
        self.customer = customer
        self.channel = channel
        self.sendAt = sendAt
        self.decision = decision
        self.reason = reason
        self.text = text
        self.location = location
    }
}
