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
        /// Other config spellings of an option (`account` for Twilio's `account_sid`).
        public var aliases: [String: String] = [:]

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

    /// The kinds Touchpoint ships: `file`, `webhook`, `twilio`, `smtp` — the one list of channel kinds
    /// (`check` validates the config against it, `run` builds from it).
    public static let standard: AdapterRegistry = {
        var r = AdapterRegistry()
        r.register(FileAdapter.registration)
        r.register(WebhookAdapter.registration)
        var twilio = TwilioAdapter.registration
        // SPEC §6 writes Twilio's credentials as `account` and `token`.
        twilio.aliases = ["account": "account_sid", "token": "auth_token"]
        r.register(twilio)
        r.register(SMTPAdapter.registration)
        return r
    }()

    /// What an option's value must be, where it is more than text.
    public enum OptionType: Sendable, Hashable {
        case flag
        case duration
        case choice([String])
    }

    /// Option types by name, the same for every kind that has the option.
    public static let optionTypes: [String: OptionType] = [
        "timeout": .duration, "connect_timeout": .duration, "insecure": .flag, "starttls": .flag,
        "insecure_auth": .flag, "format": .choice(["generic", "slack"]),
    ]

    /// Options every kind accepts that are not the adapter's: the engine reads `unsubscribe-url`.
    public static let engineOptions: Set<String> = ["unsubscribe_url"]

    /// The key as the adapter reads it: `kebab-case` or `snake_case`, aliases resolved.
    public func adapterKey(_ key: String, kind: String) -> String {
        let snake = key.replacingOccurrences(of: "-", with: "_")
        return registrations[kind]?.aliases[snake] ?? snake
    }

    /// One option as written in the config, with the places of its key and value.
    public struct LocatedOption: Sendable, Hashable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: JSONValue
        public var valueLocation: SourceLocation

        public init(key: String, keyLocation: SourceLocation, value: JSONValue, valueLocation: SourceLocation)
        {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
            self.valueLocation = valueLocation
        }
    }

    /// `check`'s view of one `channels:` entry: an unknown kind or option (at its key, with a
    /// did-you-mean in the config's kebab-case spelling), a missing required option, a value of the
    /// wrong type (flags, durations, choices). Values are not otherwise checked here (a URL's reach is
    /// `send-test`'s business).
    public func check(
        channel: String, kind: String, kindLocation: SourceLocation, options: [LocatedOption],
        entry: SourceLocation
    ) -> [Diagnostic] {
        guard let reg = registrations[kind] else {
            let kinds = registrations.keys.sorted()
            return [
                .error(
                    "unknown-adapter",
                    "unknown channel kind '\(kind)' in channel '\(channel)'\(Suggest.didYouMean(kind, in: kinds)); kinds are \(kinds.joined(separator: ", "))",
                    at: kindLocation)
            ]
        }
        var diagnostics: [Diagnostic] = []
        let known = reg.required.union(reg.optional)
        let spellings = (known.union(reg.aliases.keys)).map { $0.replacingOccurrences(of: "_", with: "-") }
            .sorted()
        var present = Set<String>()
        for option in options.sorted(by: { $0.keyLocation < $1.keyLocation }) {
            let key = adapterKey(option.key, kind: kind)
            if Self.engineOptions.contains(key) { continue }
            guard known.contains(key) else {
                diagnostics.append(
                    .error(
                        "unknown-option",
                        "unknown option '\(option.key)' in channel '\(channel)'\(Suggest.didYouMean(option.key, in: spellings))",
                        at: option.keyLocation))
                continue
            }
            present.insert(key)
            if let problem = Self.typeProblem(option.value, type: Self.optionTypes[key]) {
                diagnostics.append(
                    .error(
                        "bad-option", "option '\(option.key)' in channel '\(channel)' \(problem)",
                        at: option.valueLocation))
            }
        }
        for key in reg.required.sorted() where !present.contains(key) {
            diagnostics.append(
                .error(
                    "missing-option",
                    "channel '\(channel)' (kind \(kind)) needs option '\(key.replacingOccurrences(of: "_", with: "-"))'",
                    at: entry))
        }
        return diagnostics
    }

    private static func typeProblem(_ value: JSONValue, type: OptionType?) -> String? {
        switch (type, value) {
        case (nil, .string), (nil, .number), (nil, .bool):
            return nil
        case (nil, _):
            return "must be text, not \(value.typeName)"
        case (.flag?, .bool):
            return nil
        case (.flag?, .string(let s))
        where ["true", "false", "yes", "no", "on", "off"].contains(s.lowercased()):
            return nil
        case (.flag?, _):
            return "must be true or false"
        case (.duration?, .string(let s)) where TimeSpan(parsing: s).map({ $0.seconds > 0 }) == true:
            return nil
        case (.duration?, _):
            return "must be a duration like 30s"
        case (.choice(let choices)?, .string(let s)) where choices.contains(s):
            return nil
        case (.choice(let choices)?, _):
            let written = value.stringValue ?? value.jsonText
            return
                "must be \(choices.joined(separator: " or ")), not '\(written)'\(Suggest.didYouMean(written, in: choices))"
        }
    }

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
