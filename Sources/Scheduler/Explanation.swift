import TouchpointCore

/// The numbers behind a ``ScheduleDecision``, for `--explain`: structured fields plus a text rendering.
public struct Explanation: Sendable, Hashable {
    /// The channel estimate the choice among reachable channels was made from.
    public struct ChannelEstimate: Sendable, Hashable {
        /// The channel.
        public var channel: Channel
        /// The population's smoothed open rate the prior is centred on.
        public var populationRate: Double
        /// The customer's decayed sends on this channel.
        public var sends: Double
        /// The customer's decayed sends that got an open or click.
        public var responses: Double
        /// The posterior Beta parameters of the channel's rate at an average hour (responses over sends
        /// weighted by the hour curve at their send hours).
        public var alpha: Double
        /// The posterior Beta parameters.
        public var beta: Double
        /// The rate the decision used: the posterior mean, or under plain Thompson sampling
        /// (``SchedulerSettings/exploration`` 1) a draw from the posterior seeded by the message id.
        public var sample: Double

        /// The posterior mean open probability.
        public var mean: Double { alpha / (alpha + beta) }
    }

    /// A candidate channel that could not be used, and why.
    public struct Rejection: Sendable, Hashable {
        /// The channel.
        public var channel: Channel
        /// `no address` or `opted out`.
        public var why: String
    }

    /// The candidate channels the customer can be reached on, in rule order.
    public var reachable: [Channel] = []
    /// The candidates that were not reachable.
    public var rejected: [Rejection] = []
    /// Messages of the same rule inside its `once-per` span, when the rule has one.
    public var ruleCount: Int?
    /// Non-transactional messages inside the frequency-cap span, when the cap applies.
    public var capCount: Int?
    /// Per reachable channel, the estimate and sample (empty when channel choice did not run).
    public var channels: [ChannelEstimate] = []
    /// The customer's local zone.
    public var zone: String?
    /// Candidate send instants considered, and how many quiet hours removed.
    public var candidateCount: Int = 0
    /// Candidates removed because they fell in quiet hours.
    public var quietCount: Int = 0
    /// The chosen (channel, time)'s value: its estimated open probability, times the urgency factor when
    /// the rule sets one.
    public var chosenScore: Double?
    /// The best value among allowed candidates (may exceed the chosen one by less than the hour tolerance).
    public var bestScore: Double?
    /// The best value at the earliest allowed candidate.
    public var earliestScore: Double?
    /// The rule's urgency (a send this long after due is worth half), when it sets one.
    public var urgency: TimeSpan?
    /// The urgency factor at the chosen time (`0.5^(delay / urgency)`), when the rule sets an urgency.
    public var urgencyFactor: Double?
    /// The probability that a runner-up channel is tried instead of the best estimate for this message
    /// (0 when the posteriors do not overlap; 1 − P(best) under plain Thompson sampling).
    public var explorationShare: Double?
    /// Per reachable channel, the estimated open probability at the chosen time and at the due time.
    public var odds: [ChannelOdds] = []
    /// The chosen send time's rank (1 = best) among the allowed candidates by estimated open probability.
    public var hourRank: Int?
    /// How many candidates were allowed (inside the window, outside quiet hours).
    public var allowedCount: Int?
    /// What kept the message from a better channel or hour, or held it back.
    public var constraints: [Constraint] = []
    /// The frequency cap's `max` when it was checked.
    public var capMax: Int?
    /// Whether exploration sent the message on a channel other than the best estimate's.
    public var explored = false
    /// The customer's own timing evidence: decayed responses to sends ...
    public var timingResponses: Double = 0
    /// ... and presence observations (activity, opens and clicks an hour or more after their send).
    public var presence: Double = 0
    /// A human-readable rendering, one fact per line.
    public var lines: [String] = []
    /// When false, ``note(_:)`` drops the text lines (the numbers stay in the fields): formatting them
    /// costs more than the decision itself when nobody will read them.
    public var keepsLines = true

    /// Adds a line of the text rendering, when lines are kept.
    public mutating func note(_ line: @autoclosure () -> String) {
        if keepsLines { lines.append(line()) }
    }

    /// An empty explanation.
    public init() {}
}
