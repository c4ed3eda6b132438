import TouchpointCore

/// Every valid rule of a project, in file order then list order.
public struct RuleSet: Sendable, Hashable {
    /// The rules, in the order they were read.
    public var rules: [Rule]
    /// Event names the rule files declare under a top-level `events:` list, besides those rules use.
    public var declaredEvents: [String] = []

    /// A rule set from already-built rules.
    public init(rules: [Rule] = []) {
        self.rules = rules
    }

    /// The rule called `name`, if any.
    public subscript(name: String) -> Rule? {
        rules.first(where: { $0.name.value == name })
    }

    /// The rule names, in order.
    public var names: [String] { rules.map(\.name.value) }
}
