import TouchpointCore

/// What starts a rule's pending message.
public enum Trigger: Sendable, Hashable {
    /// Every `track` event with this name for which the condition (an expression, as source text) holds.
    case event(name: Located<String>, condition: Located<String>?)
    /// The customer's last activity is this old; fires once, re-arms on the next activity.
    case inactive(TimeSpan)
}
