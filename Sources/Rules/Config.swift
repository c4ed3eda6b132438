import TouchpointCore

/// The project configuration from `touchpoint.yaml`, with paths already resolved against its folder.
public struct Config: Sendable, Hashable {
    /// The config file read, `nil` when the built-in defaults are used.
    public var path: String?
    /// The folder relative paths resolve against: the config file's folder, or the working folder.
    public var baseDirectory: String
    /// Where rule files live (default `rules`).
    public var rulesDirectory: String
    /// Where templates live (default `templates`).
    public var templatesDirectory: String
    /// Where the daemon watches for event files (default `events`).
    public var eventsDirectory: String
    /// The SQLite store (default `touchpoint.sqlite`); unused when ``postgres`` is set.
    public var storePath: String
    /// The PostgreSQL store (`store: postgres://…`, SPEC §10), `nil` for the SQLite one.
    public var postgres: PostgresConfig?
    /// Several daemons on one PostgreSQL store (`cluster:`, SPEC §10); `nil` for one daemon.
    public var cluster: ClusterConfig?
    /// The timezone for customers without a `timezone` trait (default `UTC`).
    public var defaultTimezone: Zone
    /// Local hours in which marketing messages are not sent (default none).
    public var quietHours: QuietHours?
    /// The global cap on non-transactional messages per customer (default none).
    public var frequencyCap: FrequencyCap?
    /// Grace after a message's send window before it is dropped as `window-expired` (default 1h).
    public var maxLateness: TimeSpan
    /// How late an event may arrive and still be ordered before others (default 5m).
    public var lateness: TimeSpan
    /// How far beyond the wall clock an event may be dated before the daemon quarantines it
    /// (`future-timestamp`): a clock set wrong by a few minutes is tolerated, a shopper's year 9999 is not.
    public var futureSkew: TimeSpan = .minutes(5)
    /// Warn when an SMS template needs more segments than this (default 3).
    public var smsSegmentWarning: Int
    /// The adapter for each channel; a channel missing here has no adapter.
    public var channels: [Channel: ChannelConfig]
    /// How much the scheduler explores channels: at most this share of messages goes to a runner-up
    /// channel whose estimate overlaps the best one's (0 = always the best estimate, 1 = plain Thompson
    /// sampling). The same default as `SchedulerSettings.exploration`.
    public var exploration: Double = 0.05
    /// The daemon's HTTP side (SPEC §9); `nil` (the default) turns it and link tracking off.
    public var http: HTTPConfig?
    /// The store as `status` and the logs name it: the SQLite path, or the PostgreSQL URL without its password.
    public var storeDescription: String { postgres?.display ?? storePath }
    /// Customer traits the project's templates may use besides those rule tests and example events set
    /// (`customer-traits: [first_name, vip]`); `check` warns about a template trait none of them knows.
    public var customerTraits: [String] = []
    /// Every value a `${VAR}` expanded to, with the variable's name: what ``redact(_:)`` hides.
    public var expansions: [String: String] = [:]

    /// The built-in configuration: everything relative to `baseDirectory`, every channel written by the
    /// `file` adapter into `outbox`, and the protective defaults a marketer expects out of the box:
    /// quiet hours 21:00-08:00 and at most 3 marketing messages per customer per 7 days (turn them off
    /// with `quiet-hours: none` and `frequency-cap: none`).
    public static func defaults(baseDirectory: String = ".") -> Config {
        var config = Config(
            path: nil, baseDirectory: baseDirectory, rulesDirectory: "rules", templatesDirectory: "templates",
            eventsDirectory: "events", storePath: "touchpoint.sqlite", defaultTimezone: .utc,
            quietHours: QuietHours(startMinute: 21 * 60, endMinute: 8 * 60),
            frequencyCap: FrequencyCap(max: 3, per: .days(7)), maxLateness: .hours(1), lateness: .minutes(5),
            smsSegmentWarning: 3,
            channels: Config.defaultChannels(file: "<built-in>"))
        config.rulesDirectory = config.resolve(config.rulesDirectory)
        config.templatesDirectory = config.resolve(config.templatesDirectory)
        config.eventsDirectory = config.resolve(config.eventsDirectory)
        config.storePath = config.resolve(config.storePath)
        return config
    }

    static func defaultChannels(file: String) -> [Channel: ChannelConfig] {
        let at = SourceLocation(file: file, line: 0)
        var out: [Channel: ChannelConfig] = [:]
        for channel in Channel.allCases {
            out[channel] = ChannelConfig(
                kind: Located("file", at: at), options: ["path": Located(.string("outbox"), at: at)],
                location: at)
        }
        return out
    }

    /// `text` with every value that came from a `${VAR}` written back as `${VAR}`: a message about the
    /// config (a refused channel, a refused reload) must never print an SMTP password, a Slack webhook URL or
    /// an API token. Values shorter than 4 characters are left alone (they would garble every message and are
    /// no secrets); the longest values go first, so a value inside another is not half replaced.
    public func redact(_ text: String) -> String {
        var out = text
        for (value, name) in expansions.sorted(by: {
            $0.key.count != $1.key.count ? $0.key.count > $1.key.count : $0.key < $1.key
        })
        where value.count >= 4 && out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "${\(name)}")
        }
        return out
    }

    /// `diagnostic` with its message redacted (see ``redact(_:)``).
    public func redact(_ diagnostic: Diagnostic) -> Diagnostic {
        var d = diagnostic
        d.message = redact(d.message)
        return d
    }

    /// `path` resolved against ``baseDirectory`` (absolute paths are kept), for the adapters' own paths.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || baseDirectory == "." || baseDirectory.isEmpty {
            return Config.normalize(path)
        }
        return Config.normalize(
            baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path)
    }

    /// Removes `.` and `name/..` segments lexically, so diagnostics read `rules/cart.yaml`, not
    /// `examples/../rules/cart.yaml`. Leading `..` segments of a relative path are kept.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// A configuration with every field given.
    public init(
        path: String?, baseDirectory: String, rulesDirectory: String, templatesDirectory: String,
        eventsDirectory: String, storePath: String, defaultTimezone: Zone, quietHours: QuietHours?,
        frequencyCap: FrequencyCap?, maxLateness: TimeSpan, lateness: TimeSpan, smsSegmentWarning: Int,
        channels: [Channel: ChannelConfig]
    ) {
        self.path = path
        self.baseDirectory = baseDirectory
        self.rulesDirectory = rulesDirectory
        self.templatesDirectory = templatesDirectory
        self.eventsDirectory = eventsDirectory
        self.storePath = storePath
        self.defaultTimezone = defaultTimezone
        self.quietHours = quietHours
        self.frequencyCap = frequencyCap
        self.maxLateness = maxLateness
        self.lateness = lateness
        self.smsSegmentWarning = smsSegmentWarning
        self.channels = channels
    }
}
