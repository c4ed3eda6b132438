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
    /// The further adapters when the channel lists several (failover, in order); this entry is the first.
    public var failover: [ChannelConfig] = []
    /// `rate: 200/s`: the most sends the channel makes, on average.
    public var rate: Located<SendRate>?
    /// `burst: 5`: how many sends may go at once above `rate` (default: one second's worth, at least 1).
    public var burst: Int?
    /// `failover-after: 5`: transient failures in a row that hand the channel to its next adapter.
    public var failoverAfter: Int?
    /// `failover-backoff: 30s`: how long a failed adapter rests before it is tried again (doubling).
    public var failoverBackoff: TimeSpan?

    /// The keys of an entry that are the channel's own (written on its first adapter), not an adapter's.
    public static let channelKeys: Set<String> = ["rate", "burst", "failover-after", "failover-backoff"]

    /// Every adapter of the channel, in order: this entry, then `failover`.
    public var adapters: [ChannelConfig] { [self] + failover }
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
