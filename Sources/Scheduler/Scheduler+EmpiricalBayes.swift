import TouchpointCore

extension Scheduler {
    /// Fits each channel's Beta prior strength from how much customers' open rates really differ
    /// (empirical Bayes, method of moments), and stores it in `population` for later decisions.
    ///
    /// With `n` attributed sends and `x` of them answered per customer, the pooled mean is `Σx / Σn` and
    /// `Σ x(x−1) / Σ n(n−1)` estimates the mean of the squared rate without the binomial noise, so the spread
    /// of true rates is `Var = E[p²] − p̄²` and the strength `p̄(1−p̄) / Var − 1`: customers who all behave
    /// alike get a strong prior (their own few sends say little), customers who differ a lot a weak one.
    /// Channels with fewer than 20 customers of two or more sends keep ``SchedulerSettings/channelPriorStrength``.
    /// The result is clamped to `0.5...200`. Cost: one pass over the customers' engagement lists; the
    /// engine runs it now and then (e.g. after loading history), not per decision.
    public func fitChannelPriors(customers: some Sequence<Customer>, into population: inout PopulationStats) {
        var strengths = [Double](repeating: 0, count: Channel.allCases.count)
        for channel in Channel.allCases {
            var sends = 0.0
            var responses = 0.0
            var pairs = 0.0
            var answeredPairs = 0.0
            var customersWithData = 0
            for customer in customers {
                var n = 0.0
                var x = 0.0
                forEachAttributedSend(channel, of: customer) { _, responded in
                    n += 1
                    if responded { x += 1 }
                }
                guard n >= 2 else { continue }
                customersWithData += 1
                sends += n
                responses += x
                pairs += n * (n - 1)
                answeredPairs += x * (x - 1)
            }
            guard customersWithData >= 20, sends > 0, pairs > 0 else { continue }
            let mean = responses / sends
            let spread = answeredPairs / pairs - mean * mean
            let strength = spread > 0 ? mean * (1 - mean) / spread - 1 : .infinity
            strengths[channel.slotIndex] = min(max(strength, 0.5), 200)
        }
        population.setFittedStrengths(strengths)
    }
}
