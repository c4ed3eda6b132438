import TouchpointCore

/// The configuration the scheduler decides with: quiet hours, default zone, caps and model strengths.
public struct SchedulerSettings: Sendable, Hashable {
    /// Local quiet hours for non-transactional messages; `nil` means none.
    public var quietHours: QuietHours?
    /// The zone used when a customer has no valid `timezone` trait.
    public var defaultZone: Zone
    /// The global cap on non-transactional messages; `nil` means uncapped.
    public var frequencyCap: FrequencyCap?
    /// How fast a customer's own behaviour loses weight: an observation this old counts half. It is
    /// applied when engagement is recorded (``engagementPolicy``) and kept with each customer's state, so
    /// changing it affects customers whose engagement starts afterwards.
    public var halfLife: TimeSpan
    /// Pseudo-observations behind the population prior of each channel's open rate (the Beta prior's
    /// `α + β`). Small, so a handful of the customer's own sends outweigh the population.
    public var channelPriorStrength: Double
    /// Pseudo-observations behind the population's hour-of-day pattern when smoothing the customer's.
    public var timingPriorStrength: Double
    /// An open or click later than this after a send is not credited to that send.
    public var attributionWindow: TimeSpan
    /// How much better (relative score) a later hour must be than an earlier allowed one to delay the
    /// message to it: without this, noise in sparse data would move every send away from `due`.
    public var delayMargin: Double
    /// How fast a message's value decays while it waits for a better hour: an hour this much later must
    /// score twice as high to be chosen.
    public var urgencyHalfLife: TimeSpan
    /// How much of the customer's own timing evidence relaxes the wait discount: its half-life is
    /// `urgencyHalfLife × (1 + n / urgencyEvidence)`, n the customer's decayed timing observations (sends
    /// and opens on the channel, activity). A stray event barely changes it, months of a habit make waiting
    /// for the habitual hour nearly free. `.infinity` keeps the discount fixed.
    public var urgencyEvidence: Double
    /// How far channel choice explores: each channel's score is `mean + exploration × (draw − mean)` of
    /// its posterior, so `0` always takes the best estimate and `1` is plain Thompson sampling.
    public var exploration: Double

    /// Settings with the defaults the config file falls back to.
    public init(
        quietHours: QuietHours? = nil, defaultZone: Zone = .utc, frequencyCap: FrequencyCap? = nil,
        halfLife: TimeSpan = .days(90), channelPriorStrength: Double = 4, timingPriorStrength: Double = 24,
        attributionWindow: TimeSpan = .days(3), delayMargin: Double = 0.1,
        urgencyHalfLife: TimeSpan = .hours(12), urgencyEvidence: Double = 24, exploration: Double = 0.25
    ) {
        self.urgencyEvidence = urgencyEvidence
        self.exploration = exploration
        self.urgencyHalfLife = urgencyHalfLife
        self.quietHours = quietHours
        self.defaultZone = defaultZone
        self.frequencyCap = frequencyCap
        self.halfLife = halfLife
        self.channelPriorStrength = channelPriorStrength
        self.timingPriorStrength = timingPriorStrength
        self.attributionWindow = attributionWindow
        self.delayMargin = delayMargin
    }

    /// How customers' engagement is recorded for this scheduler: its half-life, attribution window and
    /// default zone. Pass it to `Customer.apply(_:policy:)` so recorded and read weights agree.
    public var engagementPolicy: EngagementPolicy {
        EngagementPolicy(halfLife: halfLife, attributionWindow: attributionWindow, defaultZone: defaultZone)
    }
}
