import TouchpointCore

/// Which of a channel's providers to use, as a plain state machine: time is passed in, nothing is sent.
///
/// The first provider whose circuit is closed is used. A provider's circuit opens after `threshold`
/// consecutive transient failures; it stays open for `backoff` (doubling at each reopening, up to
/// `maximumBackoff`), then the provider is tried again (half open): one success closes it, one failure
/// opens it again for longer. While it is open the next provider in order takes over.
public struct FailoverHealth: Sendable, Hashable {
    /// One provider's state.
    public struct Provider: Sendable, Hashable {
        /// Transient failures in a row since the last success or opening.
        public var consecutiveFailures = 0
        /// Until when the circuit is open; `nil` when closed.
        public var openUntil: Instant?
        /// How many times the circuit opened since the last success (the backoff's exponent).
        public var openings = 0
    }

    /// Transient failures in a row that open a provider's circuit.
    public let threshold: Int
    /// How long a circuit first stays open.
    public let backoff: TimeSpan
    /// The longest a circuit stays open.
    public let maximumBackoff: TimeSpan
    /// Per provider, in order.
    public private(set) var providers: [Provider]

    /// `count` providers, all closed.
    public init(
        count: Int, threshold: Int = 5, backoff: TimeSpan = TimeSpan(seconds: 30),
        maximumBackoff: TimeSpan = .hours(1)
    ) {
        self.threshold = max(1, threshold)
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
        providers = Array(repeating: Provider(), count: count)
    }

    /// Whether provider `i` may be used at `now`: closed, or open with its wait over (a probe).
    public func isAvailable(_ i: Int, now: Instant) -> Bool {
        guard let until = providers[i].openUntil else { return true }
        return now >= until
    }

    /// The provider to use at `now`, skipping `excluded`: the first available one; when none is, the one
    /// that reopens soonest (a send that fails there costs nothing, and the row is not held back).
    public func choose(now: Instant, excluding excluded: Set<Int> = []) -> Int? {
        let candidates = providers.indices.filter { !excluded.contains($0) }
        if let first = candidates.first(where: { isAvailable($0, now: now) }) { return first }
        return candidates.min { (providers[$0].openUntil ?? now) < (providers[$1].openUntil ?? now) }
    }

    /// Records how a send through provider `i` ended.
    public mutating func record(_ i: Int, _ outcome: DeliveryOutcome, now: Instant) {
        switch outcome {
        case .delivered, .permanent:
            // The provider answered: it is up (a refusal is about the message, not the provider).
            providers[i] = Provider()
        case .retry, .ambiguous:
            // A timeout after the content went out counts against the provider too; that message stays
            // `unknown` all the same. A send that started before the circuit opened and fails while it is
            // open tells nothing new: only a probe's failure reopens it for longer.
            if let until = providers[i].openUntil, now < until { return }
            let probing = providers[i].openUntil != nil
            providers[i].consecutiveFailures += 1
            if probing || providers[i].consecutiveFailures >= threshold { open(i, now: now) }
        case .disableEndpoint:
            open(i, now: now)
        }
    }

    /// Whether provider `i`'s circuit is open at `now`.
    public func isOpen(_ i: Int, now: Instant) -> Bool { !isAvailable(i, now: now) }

    private mutating func open(_ i: Int, now: Instant) {
        let shift = min(providers[i].openings, 20)
        let wait = min(backoff.milliseconds << Int64(shift), maximumBackoff.milliseconds)
        providers[i].openUntil = Instant(milliseconds: now.milliseconds + wait)
        providers[i].openings += 1
        providers[i].consecutiveFailures = 0
    }
}
