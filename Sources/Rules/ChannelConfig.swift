import TouchpointCore

/// One `channels:` entry of the config: the adapter kind and its options, kept with their places so
/// the adapter registry (`Channels.AdapterRegistry`, the one list of kinds) can check them.
public struct ChannelConfig: Sendable, Hashable {
    /// The adapter kind as written (`smtp`, `twilio`, `webhook`, `file`); the registry validates it.
    public var kind: Located<String>
    /// Every other key, `${VAR}` already replaced from the environment.
    public var options: [String: Located<JSONValue>]
    /// Where each option's key is written, for errors about the key itself.
    public var keyLocations: [String: SourceLocation]
    /// Where the entry starts.
    public var location: SourceLocation
    /// The `retry:` block, when written (not an adapter option: the daemon's dispatcher reads it).
    public var retry: ChannelRetry?

    /// A channel adapter configuration.
    public init(
        kind: Located<String>, options: [String: Located<JSONValue>] = [:],
        keyLocations: [String: SourceLocation] = [:], location: SourceLocation, retry: ChannelRetry? = nil
    ) {
        self.retry = retry
        self.kind = kind
        self.options = options
        self.keyLocations = keyLocations
        self.location = location
    }

    /// The string option `key`, if present and a string.
    public func string(_ key: String) -> String? { options[key]?.value.stringValue }
}
