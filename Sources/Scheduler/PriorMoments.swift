import TouchpointCore

/// One channel's sums over customers for the method-of-moments fit of its Beta prior strength.
///
/// Only customers with two or more sends count (one send says nothing about spread). With `n` sends and
/// `x` responses per customer, `Σx / Σn` is the pooled rate and `Σ x(x−1) / Σ n(n−1)` estimates the mean
/// squared rate without the binomial noise. Integer sums, so adding and removing a customer's contribution
/// is exact and the fit does not depend on the order customers were seen in.
struct PriorMoments: Sendable, Hashable, Codable {
    var customers = 0
    var sends = 0
    var responses = 0
    var pairs = 0
    var answeredPairs = 0

    /// Adds (`sign` 1) or removes (`sign` −1) one customer with `n` sends and `x` responses.
    mutating func add(n: Int, x: Int, sign: Int) {
        guard n >= 2 else { return }
        let x = min(x, n)
        customers += sign
        sends += sign * n
        responses += sign * x
        pairs += sign * n * (n - 1)
        answeredPairs += sign * x * (x - 1)
    }

    /// The fitted strength `p̄(1−p̄) / Var − 1`, clamped to `0.5...200`; `nil` below 20 customers.
    var strength: Double? {
        guard customers >= 20, sends > 0, pairs > 0 else { return nil }
        let mean = Double(responses) / Double(sends)
        let spread = Double(answeredPairs) / Double(pairs) - mean * mean
        let s = spread > 0 ? mean * (1 - mean) / spread - 1 : .infinity
        return min(max(s, 0.5), 200)
    }
}

/// A customer's sends and responses ever, per channel: what the population's prior fit needs to know of a
/// change (``PopulationStats/updatePrior(from:to:)``). Fixed fields, no allocation: the engine takes one
/// per event.
public struct EngagementCounts: Sendable, Hashable {
    private var email: (sends: Int, responses: Int)
    private var sms: (sends: Int, responses: Int)
    private var chat: (sends: Int, responses: Int)

    /// The counts in `engagement`.
    public init(_ engagement: Engagement) {
        email = engagement.counts(.email)
        sms = engagement.counts(.sms)
        chat = engagement.counts(.chat)
    }

    /// Sends and responses ever on `channel`.
    subscript(_ channel: Channel) -> (sends: Int, responses: Int) {
        switch channel {
        case .email: email
        case .sms: sms
        case .chat: chat
        }
    }

    /// Whether every channel's counts agree.
    public static func == (a: EngagementCounts, b: EngagementCounts) -> Bool {
        a.email == b.email && a.sms == b.sms && a.chat == b.chat
    }

    /// Hashes every channel's counts.
    public func hash(into hasher: inout Hasher) {
        for c in Channel.allCases {
            hasher.combine(self[c].sends)
            hasher.combine(self[c].responses)
        }
    }
}
