import TouchpointCore

/// One `channels:` entry of the config: the adapter kind and its options, kept with their places so
/// each adapter can validate its own keys.
public struct ChannelConfig: Sendable, Hashable {
    /// The adapter kinds Touchpoint knows.
    public static let kinds = ["smtp", "twilio", "webhook", "file"]

    /// `smtp`, `twilio`, `webhook` or `file`.
    public var kind: Located<String>
    /// Every other key, `${VAR}` already replaced from the environment.
    public var options: [String: Located<JSONValue>]
    /// Where the entry starts.
    public var location: SourceLocation

    /// A channel adapter configuration.
    public init(kind: Located<String>, options: [String: Located<JSONValue>] = [:], location: SourceLocation) {
        self.kind = kind
        self.options = options
        self.location = location
    }

    /// The string option `key`, if present and a string.
    public func string(_ key: String) -> String? { options[key]?.value.stringValue }
}
