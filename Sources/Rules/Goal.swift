import TouchpointCore

/// A rule's `goal`: the conversion `touchpoint report` counts among receivers and the holdout.
public struct Goal: Sendable, Hashable {
    /// The goal event's name (`Order Completed`).
    public var event: Located<String>
    /// How long after the message (or the held-out message's planned send) a goal event still counts.
    public var within: TimeSpan
    /// Property names whose values must equal the trigger's (`same: [cart_id]`).
    public var same: [Located<String>]

    /// A goal.
    public init(event: Located<String>, within: TimeSpan, same: [Located<String>] = []) {
        self.event = event
        self.within = within
        self.same = same
    }
}
