import TouchpointCore

/// An `unless` entry: an event that cancels a pending message of the rule for the same customer.
public struct CancelCondition: Sendable, Hashable {
    /// The cancelling event's name.
    public var event: Located<String>
    /// An expression (source text) that must also hold for the cancelling event.
    public var condition: Located<String>?
    /// Property names whose values must equal the trigger event's for the cancel to apply.
    public var same: [Located<String>]

    /// A cancel condition.
    public init(event: Located<String>, condition: Located<String>? = nil, same: [Located<String>] = []) {
        self.event = event
        self.condition = condition
        self.same = same
    }
}
