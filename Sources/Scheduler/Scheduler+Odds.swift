import TouchpointCore

extension Scheduler {
    /// Fills ``Explanation/odds``: per reachable channel, its posterior mean open rate times the hour's
    /// timing score (a lift averaging 1 over the week), at the chosen time and at `due`, capped at 1.
    ///
    /// `scores` are the chosen channel's slot scores when timing already computed them.
    func noteOdds(
        _ request: SendRequest, chosen: Channel, at: Instant?, scores: [Double]?, customer: Customer,
        zone: Zone,
        population: PopulationStats, _ ex: inout Explanation
    ) {
        let dueSlot = HourOfWeek.slot(request.due, in: zone)
        let atSlot = at.map { HourOfWeek.slot($0, in: zone) }
        var scratch = Explanation()
        for estimate in ex.channels {
            let channelScores =
                estimate.channel == chosen && scores != nil
                ? scores!
                : slotScores(
                    channel: estimate.channel, customer: customer, zone: zone, now: request.due,
                    population: population, explanation: &scratch)
            ex.odds.append(
                .init(
                    channel: estimate.channel,
                    atChosen: atSlot.map { min(1, estimate.mean * channelScores[$0]) },
                    atDue: min(1, estimate.mean * channelScores[dueSlot]), chosen: estimate.channel == chosen)
            )
        }
    }
}
