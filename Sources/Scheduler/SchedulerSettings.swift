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
    /// How lightly a customer's hour curve is shrunk towards its prior (the population's curve × their
    /// presence lift): the Gamma prior's shape, in expected responses per hour. Small, so the customer's own
    /// responses speak for the hours they were sent at; hours never tried keep the prior.
    public var timingPriorStrength: Double
    /// How strongly each channel's own hour curve is shrunk towards the customer's shared one: expected
    /// responses per hour (`.infinity`: one curve for every channel).
    public var channelCurveStrength: Double
    /// Width (standard deviation, hours) of the kernel a customer's own prompt responses and the exposure
    /// they are measured against are smoothed with (the latter ``exposureWidening`` times wider): wider than
    /// ``timingBandwidth``, as a customer has tens of responses where the population has thousands.
    public var responseBandwidth: Double
    /// Width (standard deviation, hours) of the kernel a channel's own bend of the customer's curve is smoothed
    /// with.
    public var channelCurveBandwidth: Double
    /// How much the population must show before its curve departs from flat: expected responses per hour
    /// of the prior that shrinks it.
    public var populationTimingStrength: Double
    /// Width (standard deviation, hours) of the Gaussian kernel that lets neighbouring hours share their
    /// sends, responses and presence: an open at 19:50 also speaks for 20:00, and habits are hours wide.
    public var timingBandwidth: Double
    /// How much wider the kernel for expected responses is than ``timingBandwidth`` (the one for responses):
    /// above 1, an hour's estimate falls off away from the hours the customer was actually sent at.
    public var exposureWidening: Double
    /// Presence observations (activity, late opens) at which their lift counts half: the lift is raised to
    /// `n / (n + presenceEvidence)`, so a stray event moves nothing and a habit does.
    public var presenceEvidence: Double
    /// Pseudo-observations spread evenly over the day that a customer's presence share starts from.
    public var presenceFlatStrength: Double
    /// Estimates within this share of the best count as equal, and the earliest of them is taken — for a
    /// customer without timing evidence of their own; the share shrinks as evidence builds up
    /// (``toleranceEvidence``).
    public var hourTolerance: Double
    /// Channels whose estimates at the chosen time are within this share of the best one's count as equal, and
    /// the rule's order decides among them — for a customer without timing evidence of their own, shrinking
    /// as ``hourTolerance`` does. `0`: the best estimate wins, the rule's order breaks exact ties only.
    public var channelTolerance: Double
    /// Timing observations (responses, presence) at which ``hourTolerance`` has halved.
    public var toleranceEvidence: Double
    /// Prompt responses across the population at which the tolerance on differences in the population's
    /// hour curve has halved from ``hourTolerance``: a few customers' opens do not move anyone's message.
    public var populationToleranceEvidence: Double
    /// Responses at which the customer's own responses have moved their curve half way from its prior: an
    /// hour's sends without any response say the customer rarely opens, not when.
    public var shapeEvidence: Double
    /// Unanswered sends beyond the first at which they have moved a customer's curve a quarter of the way
    /// from its prior (`(s′ / (s′ + missEvidence))²`, s′ = sends − 1). A miss at an hour is evidence against
    /// that hour, weighed by the channel's rate (a customer who rarely opens says little by not opening);
    /// the first moves nothing, and with the default the second counts six tenths (`(1 / 1.3)²`), the third
    /// three quarters: in a sparse history a customer's two or three unanswered sends are most of what is
    /// known about their hours (`Simulator/README.md`, world d-sparse), while two unopened emails a month
    /// apart must not move a win-back off the hour the customer browses at (`rules/tests/lifecycle.yaml`;
    /// 0.25 and below do). A send still inside its attribution window is not yet a miss
    /// (``Engagement/pendingSend(_:at:window:zone:)``).
    public var missEvidence: Double
    /// Opens that came an hour or more after their send at which unanswered sends count half as much
    /// (`k / (k + opens)`): such opens show when the customer reads, directly.
    public var lateReadEvidence: Double
    /// An open or click later than this after a send is not credited to that send.
    public var attributionWindow: TimeSpan
    /// How much channel choice explores: the largest share of messages sent on a runner-up channel whose
    /// posterior overlaps the best one's (each tried with the probability that it is really better, all
    /// together at most this); `0` always takes the best estimate, and `1` is plain Thompson sampling
    /// (every channel's rate drawn from its posterior).
    public var exploration: Double

    /// Settings with the defaults the config file falls back to.
    public init(
        quietHours: QuietHours? = nil, defaultZone: Zone = .utc, frequencyCap: FrequencyCap? = nil,
        halfLife: TimeSpan = .days(180), channelPriorStrength: Double = 4, timingPriorStrength: Double = 0.1,
        channelCurveStrength: Double = 0.07, populationTimingStrength: Double = 50,
        timingBandwidth: Double = 2, responseBandwidth: Double = 2.5, channelCurveBandwidth: Double = 2.25,
        exposureWidening: Double = 1.5,
        presenceEvidence: Double = 30, presenceFlatStrength: Double = 4, hourTolerance: Double = 0.1,
        channelTolerance: Double = 0,
        toleranceEvidence: Double = 1, populationToleranceEvidence: Double = 5, shapeEvidence: Double = 0.5,
        missEvidence: Double = 0.3, lateReadEvidence: Double = 1,
        attributionWindow: TimeSpan = .days(3),
        exploration: Double = 0.03
    ) {
        self.quietHours = quietHours
        self.defaultZone = defaultZone
        self.frequencyCap = frequencyCap
        self.halfLife = halfLife
        self.channelPriorStrength = channelPriorStrength
        self.timingPriorStrength = timingPriorStrength
        self.channelCurveStrength = channelCurveStrength
        self.populationTimingStrength = populationTimingStrength
        self.timingBandwidth = timingBandwidth
        self.channelCurveBandwidth = channelCurveBandwidth
        self.responseBandwidth = responseBandwidth
        self.exposureWidening = exposureWidening
        self.presenceEvidence = presenceEvidence
        self.presenceFlatStrength = presenceFlatStrength
        self.hourTolerance = hourTolerance
        self.channelTolerance = channelTolerance
        self.toleranceEvidence = toleranceEvidence
        self.populationToleranceEvidence = populationToleranceEvidence
        self.shapeEvidence = shapeEvidence
        self.missEvidence = missEvidence
        self.lateReadEvidence = lateReadEvidence
        self.attributionWindow = attributionWindow
        self.exploration = exploration
    }

    /// How customers' engagement is recorded for this scheduler: its half-life, attribution window and
    /// default zone. Pass it to `Customer.apply(_:policy:)` so recorded and read weights agree.
    public var engagementPolicy: EngagementPolicy {
        EngagementPolicy(halfLife: halfLife, attributionWindow: attributionWindow, defaultZone: defaultZone)
    }
}
