import TouchpointCore

extension Scheduler {
    /// Thompson sampling over the reachable channels (at least one); see the type's model notes.
    func chooseChannel(
        _ request: SendRequest, customer: Customer, population: PopulationStats,
        explanation ex: inout Explanation
    ) -> Channel {
        var drawn: [(alpha: Double, beta: Double, sample: Double)] = []
        var best: (channel: Channel, sample: Double)? = nil
        for channel in ex.reachable {
            let p = population.openRate(channel)
            let k = max(population.fittedPriorStrength(channel) ?? settings.channelPriorStrength, 1e-3)
            let evidence = customer.engagement.evidence(channel, at: request.due)
            let alpha = max(p * k + evidence.responses, 1e-3)
            let beta = max((1 - p) * k + evidence.sends - evidence.responses, 1e-3)
            let sample: Double
            if let same = drawn.first(where: { $0.alpha == alpha && $0.beta == beta }) {
                sample = same.sample
            } else {
                var rng = SeededGenerator(seed: StableID.seed(request.messageId + "/" + channel.rawValue))
                let mean = alpha / (alpha + beta)
                let e = max(settings.exploration, 0)
                // Exploration 0 never touches the generator: the best estimate wins outright.
                sample = e == 0 ? mean : mean + e * (rng.beta(alpha, beta) - mean)
            }
            drawn.append((alpha, beta, sample))
            ex.channels.append(
                .init(
                    channel: channel, populationRate: p, sends: evidence.sends, responses: evidence.responses,
                    alpha: alpha, beta: beta, sample: sample))
            ex.note(
                "\(channel.rawValue): population \(fmt(p)), sends \(fmt(evidence.sends, 2)), opened "
                    + "\(fmt(evidence.responses, 2)), posterior Beta(\(fmt(alpha, 2)), \(fmt(beta, 2))) mean "
                    + "\(fmt(alpha / (alpha + beta))), sample \(fmt(sample))")
            // Strictly greater: an equal draw leaves the earlier channel in rule order.
            if best == nil || sample > best!.sample { best = (channel, sample) }
        }
        let chosen = best!.channel
        ex.note("channel: \(chosen.rawValue) (highest sample)")
        return chosen
    }
}

/// Fixed-precision text for explanations, without Foundation's locale-dependent formatting.
func fmt(_ x: Double, _ digits: Int = 3) -> String {
    guard x.isFinite else { return String(x) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int64((abs(x) * scale).rounded())
    let whole = n / Int64(scale)
    var frac = String(n % Int64(scale))
    while frac.count < digits { frac = "0" + frac }
    return (x < 0 && n != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}
