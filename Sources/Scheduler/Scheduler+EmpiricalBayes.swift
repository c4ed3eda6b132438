import TouchpointCore

extension Scheduler {
    /// Refits each channel's Beta prior strength from how much customers' response rates really differ
    /// (empirical Bayes, method of moments), and stores it in `population` for later decisions.
    ///
    /// With `n` sends and `x` of them answered per customer (counts ever, from ``Engagement/counts(_:)``),
    /// the pooled mean is `Σx / Σn` and `Σ x(x−1) / Σ n(n−1)` estimates the mean of the squared rate without
    /// the binomial noise, so the spread of true rates is `Var = E[p²] − p̄²` and the strength
    /// `p̄(1−p̄) / Var − 1`: customers who all behave alike get a strong prior (their own few sends say
    /// little), customers who differ a lot a weak one. Only customers with two or more sends count; channels
    /// with fewer than 20 such customers keep ``SchedulerSettings/channelPriorStrength``. The result is
    /// clamped to `0.5...200`.
    ///
    /// The engine does not need this: it keeps the same sums current per event with
    /// ``PopulationStats/updatePrior(from:to:)``. This full pass (O(customers)) gives the same result and
    /// serves state built without those updates.
    public func fitChannelPriors(customers: some Sequence<Customer>, into population: inout PopulationStats) {
        var moments = Array(repeating: PriorMoments(), count: Channel.allCases.count)
        for customer in customers {
            for channel in customer.engagement.channels {
                let n = customer.engagement.counts(channel)
                moments[channel.slotIndex].add(n: n.sends, x: n.responses, sign: 1)
            }
        }
        population.setMoments(moments)
    }
}
