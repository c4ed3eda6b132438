import TouchpointCore

/// A rule's `send`: the template, the candidate channels in preference order, the send window and, when
/// waiting costs, how fast.
public struct SendSpec: Sendable, Hashable {
    /// The template's name (a folder under `templates/`).
    public var template: Located<String>
    /// Candidate channels, in the rule's order (ties in the scheduler follow it); never empty, no repeats.
    public var channels: [Located<Channel>]
    /// The window after the due time inside which the scheduler picks the send time (default 0).
    public var within: TimeSpan
    /// `send.urgency`: a send this long after the due time is worth half as much, twice as long a quarter
    /// (`nil`: the scheduler takes the best hour anywhere in the window). Located for `check`'s notes.
    public var urgency: Located<TimeSpan>?
    /// Whether links are rewritten to tracked ones and the email gets the open pixel when the config
    /// has `http` (default `true`; `tracking: false` opts the rule out).
    public var tracking = true
    /// `send.fallback`: one follow-up on the next reachable candidate channel when the first send is not
    /// answered in time, or fails for good.
    public var fallback: Fallback?

    /// `fallback: { after: 24h, unless: [Message Opened, Message Clicked] }`.
    public struct Fallback: Sendable, Hashable {
        /// How long the first send has to be opened or clicked.
        public var after: TimeSpan
        /// The events that answer the first send (default `Message Opened`, `Message Clicked`).
        public var unless: [String]
        /// Where `fallback` is written.
        public var location: SourceLocation?

        /// A fallback.
        public init(
            after: TimeSpan, unless: [String] = Fallback.defaultUnless, location: SourceLocation? = nil
        ) {
            self.after = after
            self.unless = unless
            self.location = location
        }

        /// The engagement events that answer a send.
        public static let defaultUnless = ["Message Opened", "Message Clicked"]
    }

    /// A send specification.
    public init(
        template: Located<String>, channels: [Located<Channel>], within: TimeSpan = .zero,
        urgency: Located<TimeSpan>? = nil
    ) {
        self.template = template
        self.channels = channels
        self.within = within
        self.urgency = urgency
    }
}
