import TouchpointCore

/// Channel kinds by name: each with the options it accepts and a factory.
public struct AdapterRegistry: Sendable {
    /// One channel kind.
    public struct Registration: Sendable {
        /// The `kind` name in configuration.
        public var kind: String
        /// Options that must be present.
        public var required: Set<String>
        /// Options that may be present.
        public var optional: Set<String>
        /// Builds the adapter from validated options and the shared transport.
        public var make: @Sendable (AdapterOptions, CurlTransport) throws -> any ChannelAdapter

        /// A registration.
        public init(
            kind: String, required: Set<String>, optional: Set<String>,
            make: @escaping @Sendable (AdapterOptions, CurlTransport) throws -> any ChannelAdapter
        ) {
            self.kind = kind
            self.required = required
            self.optional = optional
            self.make = make
        }
    }

    /// Registrations by kind.
    public private(set) var registrations: [String: Registration] = [:]

    /// An empty registry.
    public init() {}

    /// Adds or replaces a kind.
    public mutating func register(_ registration: Registration) {
        registrations[registration.kind] = registration
    }

    /// The kinds Touchpoint ships: `file`, `webhook`, `twilio`, `smtp`.
    public static let standard: AdapterRegistry = {
        var r = AdapterRegistry()
        r.register(FileAdapter.registration)
        r.register(WebhookAdapter.registration)
        r.register(TwilioAdapter.registration)
        r.register(SMTPAdapter.registration)
        return r
    }()

    /// Checks `options` against the kind's registration: unknown keys (with a did-you-mean) and missing ones.
    /// A `kind` key in `options` is ignored, so a configuration block can be passed whole.
    public func validate(kind: String, options: [String: String]) throws -> AdapterOptions {
        guard let reg = registrations[kind] else {
            throw AdapterConfigError(
                "unknown channel kind '\(kind)'\(Suggest.didYouMean(kind, in: registrations.keys.sorted()))")
        }
        var values = options
        values["kind"] = nil
        let known = reg.required.union(reg.optional)
        for key in values.keys.sorted() where !known.contains(key) {
            throw AdapterConfigError(
                "unknown option '\(key)' for channel kind '\(kind)'\(Suggest.didYouMean(key, in: known.sorted()))"
            )
        }
        for key in reg.required.sorted() where (values[key] ?? "").isEmpty {
            throw AdapterConfigError("channel kind '\(kind)' needs option '\(key)'")
        }
        return AdapterOptions(kind: kind, values: values)
    }

    /// Validates the options and builds the adapter: the one call a command needs.
    ///
    /// Without a `transport` the adapter gets its own, so its connections are never reused by an adapter
    /// with other TLS settings: libcurl 7.88 does not compare TLS options when reusing a STARTTLS
    /// connection, so a connection verified with one channel's `ca_file` must not serve another channel.
    public func make(
        kind: String, options: [String: String], transport: CurlTransport? = nil
    ) throws -> any ChannelAdapter {
        let validated = try validate(kind: kind, options: options)
        return try registrations[kind]!.make(validated, transport ?? CurlTransport())
    }

    /// ``make(kind:options:transport:)`` on the standard registry.
    public static func make(
        kind: String, options: [String: String], transport: CurlTransport? = nil
    ) throws -> any ChannelAdapter {
        try standard.make(kind: kind, options: options, transport: transport)
    }
}
