import TouchpointCore

/// A channel served by several providers in order (`email: [{ kind: smtp, … }, { kind: smtp, … }]`): the
/// first while it is healthy, the next while the first's circuit is open (see ``FailoverHealth``).
///
/// A message goes to a second provider only when the first one certainly does not have it: a transient
/// failure (nothing was taken), or a permanent refusal before the content went out (an SMTP 5xx at `MAIL`
/// or `RCPT`). After an ambiguous end (a timeout after `DATA`) it stays `unknown`: never two providers.
/// Every answer is prefixed with the provider that gave it (`provider 2 smtp 127.0.0.1:2526: …`), so each
/// recorded attempt says which one it used. The request is prepared once, by the first provider; the
/// providers share one kind, so each can send those bytes.
public struct FailoverAdapter: ChannelAdapter {
    /// One provider.
    public struct Provider: Sendable {
        /// The adapter.
        public var adapter: any ChannelAdapter
        /// How records name it: `smtp 127.0.0.1:2526` (no credentials).
        public var label: String

        /// A provider.
        public init(adapter: any ChannelAdapter, label: String) {
            self.adapter = adapter
            self.label = label
        }
    }

    /// The providers' kind.
    public var kind: String { providers[0].adapter.kind }
    /// The providers, in order of preference.
    public let providers: [Provider]
    private let health: Locked<FailoverHealth>
    private let clock: @Sendable () -> Instant

    /// Re-sending an unknown message is safe only if every provider it may go to deduplicates.
    public var peerDeduplicates: Bool { providers.allSatisfy { $0.adapter.peerDeduplicates } }

    /// Providers in order; at least one, all of one kind.
    public init(
        providers: [Provider], health: FailoverHealth? = nil,
        clock: @escaping @Sendable () -> Instant = Delivery.wallClock
    ) throws {
        guard let first = providers.first else {
            throw AdapterConfigError("a channel needs at least one adapter")
        }
        if let other = providers.first(where: { $0.adapter.kind != first.adapter.kind }) {
            throw AdapterConfigError(
                "failover adapters of one channel must be of one kind: '\(first.adapter.kind)' and '\(other.adapter.kind)'"
            )
        }
        self.providers = providers
        self.health = Locked(health ?? FailoverHealth(count: providers.count))
        self.clock = clock
    }

    /// The health state now (for `status` and tests).
    public var state: FailoverHealth { health.withLock { $0 } }

    /// Prepared by the first provider.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        try providers[0].adapter.prepare(message, now: now)
    }

    /// Sends through the provider the health state picks; on to the next while the message certainly
    /// did not arrive and the failure opened that provider's circuit (or was a refusal before content).
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        var tried = Set<Int>()
        var last: DeliveryOutcome = .retry(after: nil, answer: "no provider tried")
        while let i = health.withLock({ $0.choose(now: clock(), excluding: tried) }) {
            tried.insert(i)
            let attempt = await providers[i].adapter.attempt(request)
            let now = clock()
            let open = health.withLock { h -> Bool in
                h.record(i, attempt.outcome, now: now)
                return h.isOpen(i, now: now)
            }
            last = Self.labelled(attempt.outcome, providers[i].label, index: i)
            switch attempt.outcome {
            case .retry where open:
                continue
            case .permanent where !attempt.contentSent:
                continue
            default:
                return last
            }
        }
        return last
    }

    /// The outcome with `provider N LABEL: ` before its answer.
    static func labelled(_ outcome: DeliveryOutcome, _ label: String, index: Int) -> DeliveryOutcome {
        let prefix = "provider \(index + 1) \(label): "
        switch outcome {
        case .delivered(let id, let a): return .delivered(providerId: id, answer: prefix + a)
        case .retry(let after, let a): return .retry(after: after, answer: prefix + a)
        case .ambiguous(let a): return .ambiguous(answer: prefix + a)
        case .permanent(let a): return .permanent(answer: prefix + a)
        case .disableEndpoint(let a): return .disableEndpoint(answer: prefix + a)
        }
    }

    /// `KIND HOST:PORT` from a URL, without user info, path or query (a webhook path may be a secret).
    public static func label(kind: String, url: String?) -> String {
        guard let url, let scheme = url.range(of: "://") else { return kind }
        var authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return "\(kind) \(authority)"
    }
}
