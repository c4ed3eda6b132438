import TouchpointCore

/// A channel's `retry:` block: when the daemon tries a message again after a transient failure.
///
/// `schedule` lists the waits after each failed attempt (the first entry follows the first attempt);
/// `max-age` repeats the schedule's last wait until the waits add up to more than it. Either may be
/// left out: the default schedule is Standard Webhooks' (5s, 5m, 30m, 2h, 5h, 10h, 10h). Every attempt
/// is still bounded by the message's window (a retry due past it is dropped `window-expired`).
public struct ChannelRetry: Sendable, Hashable {
    /// The waits after each failed attempt, when given.
    public var schedule: [TimeSpan]?
    /// How long the waits may add up to, when given.
    public var maxAge: TimeSpan?
    /// Where the block is written.
    public var location: SourceLocation

    /// A retry block.
    public init(schedule: [TimeSpan]? = nil, maxAge: TimeSpan? = nil, location: SourceLocation) {
        self.schedule = schedule
        self.maxAge = maxAge
        self.location = location
    }

    /// The keys of a `retry:` block.
    public static let keys = ["schedule", "max-age"]
    /// The most waits a schedule may list.
    public static let maxScheduleLength = 100
}
