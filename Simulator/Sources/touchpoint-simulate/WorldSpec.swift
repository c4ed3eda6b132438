import TouchpointCore

/// The worlds of issue 13, each with a known truth (``Truth``) and a way the history was sent.
enum WorldSpec: String, CaseIterable {
    /// Channel base rates and one Gaussian peak hour per customer; history at random daytime hours.
    case a
    /// As (a), but every channel has its own peak hour.
    case b
    /// As (a), but the history was sent at the shop's fixed campaign hours: the open times echo them.
    case c
    /// As (a) with sparse history: about 5 sends in 16 weeks.
    case dSparse = "d-sparse"
    /// As (a) with rich history: about 100 sends in 16 weeks.
    case dRich = "d-rich"
    /// As (a), but a send's value halves every 6 h after due (`urgency: 6h` in the rule), and it is scored so.
    case e
    /// A closed loop: no history; Touchpoint's own sends and the opens they cause are the only history.
    case f

    /// What the world is, for the table.
    var summary: String {
        switch self {
        case .a: "(a) channel rates × one peak hour, history at random daytime hours"
        case .b: "(b) as (a), a peak hour per channel"
        case .c: "(c) as (a), history at fixed campaign hours 09, 12, 15, 18, 20"
        case .dSparse: "(d) as (a), sparse history (≈ 5 sends in 16 weeks)"
        case .dRich: "(d) as (a), rich history (≈ 100 sends in 16 weeks)"
        case .e: "(e) as (a), value halves every 6 h after due (rule: urgency 6h)"
        case .f: "(f) closed loop, 12 weeks, own sends only"
        }
    }

    var perChannelPeaks: Bool { self == .b }

    /// History sends per day (one every other day unless sparse or rich).
    var sendsPerDay: Double {
        switch self {
        case .dSparse: 5.0 / 112
        case .dRich: 100.0 / 112
        default: 0.5
        }
    }

    /// Local hours the history was sent at; `nil` = a uniformly random time between 08:00 and 21:00.
    var campaignHours: [Int]? { self == .c ? [9, 12, 15, 18, 20] : nil }

    /// The rule's `send.urgency` and the value function's half-life.
    var urgency: TimeSpan? { self == .e ? .hours(6) : nil }
}
