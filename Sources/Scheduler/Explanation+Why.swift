import TouchpointCore

extension Explanation {
    /// One reachable channel's estimated open probability at the chosen time and at the due time.
    public struct ChannelOdds: Sendable, Hashable {
        /// The channel.
        public var channel: Channel
        /// The estimate at the chosen send time (`nil` when the message was held back).
        public var atChosen: Double?
        /// The estimate at the due time.
        public var atDue: Double
        /// Whether this is the channel the message goes out on.
        public var chosen: Bool
    }

    /// Something that kept a message from a better channel or hour, or held it back.
    public enum Constraint: String, Sendable, Hashable, CaseIterable {
        /// A better hour inside the window fell in quiet hours (or every hour did).
        case quietHours = "quiet-hours"
        /// A better allowed hour lies within a day of `due` but beyond `due + within`.
        case window
        /// A better hour inside the window was passed over because the rule's urgency made waiting cost more.
        case urgency
        /// The rule's `once-per` limit held the message back.
        case ruleLimit = "rule-limit"
        /// The global frequency cap held the message back.
        case frequencyCap = "frequency-cap"
    }

    /// The structured `why` object for `dry-run --format json`: per-channel odds, the chosen hour's rank,
    /// the constraints and the cap counts.
    ///
    /// `{"channels": [{"channel", "at_chosen", "at_due", "chosen"}], "urgency": {"half_life_hours",
    /// "factor"}, "exploration": {"share", "explored"}, "hour_rank", "allowed_hours", "candidates",
    /// "quiet_removed", "constrained_by": [...], "caps": {"rule", "frequency", "frequency_max"}}`;
    /// `at_chosen` / `at_due` are each channel's estimated open probability at the chosen hour and at the
    /// due hour, `urgency.factor` what the rule's urgency leaves of the chosen time's value, and
    /// `exploration.share` the probability that this message was sent on a runner-up channel to learn.
    /// Numbers are rounded to four decimals and members without a value are left out.
    public var whyJSON: JSONValue {
        var o: [String: JSONValue] = [:]
        o["channels"] = .array(
            odds.map { c in
                var m: [String: JSONValue] = [
                    "channel": .string(c.channel.rawValue), "at_due": .number(Self.round4(c.atDue)),
                    "chosen": .bool(c.chosen),
                ]
                if let p = c.atChosen { m["at_chosen"] = .number(Self.round4(p)) }
                return .object(m)
            })
        if let urgency, let urgencyFactor {
            o["urgency"] = [
                "half_life_hours": .number(Self.round4(Double(urgency.milliseconds) / 3_600_000)),
                "factor": .number(Self.round4(urgencyFactor)),
            ]
        }
        if let explorationShare {
            o["exploration"] = ["share": .number(Self.round4(explorationShare)), "explored": .bool(explored)]
        }
        if let hourRank { o["hour_rank"] = .number(Double(hourRank)) }
        if let allowedCount { o["allowed_hours"] = .number(Double(allowedCount)) }
        if candidateCount > 0 {
            o["candidates"] = .number(Double(candidateCount))
            o["quiet_removed"] = .number(Double(quietCount))
        }
        o["constrained_by"] = .array(constraints.map { .string($0.rawValue) })
        var caps: [String: JSONValue] = [:]
        if let ruleCount { caps["rule"] = .number(Double(ruleCount)) }
        if let capCount { caps["frequency"] = .number(Double(capCount)) }
        if let capMax { caps["frequency_max"] = .number(Double(capMax)) }
        if !caps.isEmpty { o["caps"] = .object(caps) }
        return .object(o)
    }

    private static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
}
