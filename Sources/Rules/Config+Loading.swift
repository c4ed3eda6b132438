import Foundation
import TouchpointCore
import Yams

extension Config {
    /// The config file used when `--config` is not given.
    public static let defaultPath = "touchpoint.yaml"

    static let keys = [
        "rules", "templates", "events", "store", "default-timezone", "quiet-hours", "frequency-cap",
        "max-lateness", "lateness", "future-skew", "sms-segment-warning", "channels", "exploration", "http",
        "cluster", "customer-traits", "holdout", "holdout-key",
    ]

    /// Loads `path` (`--config FILE`), or `./touchpoint.yaml` when `path` is `nil`; when that default file
    /// is absent the built-in defaults apply. `${VAR}` in string values comes from `environment`.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (Config, [Diagnostic]) {
        let file = path ?? defaultPath
        guard FileManager.default.fileExists(atPath: file) else {
            if path == nil { return (.defaults(), []) }
            return (
                .defaults(baseDirectory: directory(of: file)),
                [.error("missing-config", "config file '\(file)' does not exist", at: nil)]
            )
        }
        do {
            let source = try YAMLSource(path: file)
            return parse(source, path: file, environment: environment)
        } catch {
            return (.defaults(baseDirectory: directory(of: file)), error.diagnostics)
        }
    }

    /// Parses config text as if read from `path` (which sets the folder relative paths resolve against).
    public static func parse(
        yaml: String, path: String, environment: [String: String] = [:]
    ) -> (Config, [Diagnostic]) {
        do {
            return parse(try YAMLSource(text: yaml, file: path), path: path, environment: environment)
        } catch {
            return (.defaults(baseDirectory: directory(of: path)), error.diagnostics)
        }
    }

    /// The folder of `path`, `.` for a bare file name.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    private static func parse(
        _ source: YAMLSource, path: String, environment: [String: String]
    ) -> (Config, [Diagnostic]) {
        var config = Config.defaults(baseDirectory: directory(of: path))
        config.path = path
        var r = ConfigReader(reader: YAMLReader(source: source), environment: environment)
        guard let root = source.root, root.tagName != .null else { return (config, []) }
        guard let top = r.reader.mapping(root, name: "config", context: "the config file", keys: keys) else {
            return (config, r.reader.diagnostics)
        }
        if let n = top["rules"], let s = r.string(n, name: "rules") {
            config.rulesDirectory = config.resolve(s)
        }
        if let n = top["templates"], let s = r.string(n, name: "templates") {
            config.templatesDirectory = config.resolve(s)
        }
        if let n = top["events"], let s = r.string(n, name: "events") {
            config.eventsDirectory = config.resolve(s)
        }
        if let n = top["store"] {
            let store = r.store(n)
            if let path = store.path { config.storePath = config.resolve(path) }
            config.postgres = store.postgres
        }
        if let n = top["default-timezone"], let s = r.reader.string(n, name: "default-timezone") {
            if let zone = Zone(s.value) {
                config.defaultTimezone = zone
            } else {
                let hint = Suggest.didYouMean(s.value, in: TimeZone.knownTimeZoneIdentifiers)
                r.reader.error("unknown-timezone", "unknown timezone '\(s.value)'\(hint)", at: s.location)
            }
        }
        if let n = top["quiet-hours"] { config.quietHours = r.quietHours(n) }
        if let n = top["frequency-cap"] { config.frequencyCap = r.frequencyCap(n) }
        if let n = top["max-lateness"], let d = r.reader.duration(n, name: "max-lateness") {
            config.maxLateness = d
        }
        if let n = top["lateness"], let d = r.reader.duration(n, name: "lateness") { config.lateness = d }
        if let n = top["future-skew"], let d = r.reader.duration(n, name: "future-skew") {
            config.futureSkew = d
        }
        if let n = top["sms-segment-warning"], let i = r.reader.int(n, name: "sms-segment-warning") {
            if i < 1 {
                r.reader.error(
                    "bad-value", "'sms-segment-warning' must be at least 1", at: r.reader.location(of: n))
            } else {
                config.smsSegmentWarning = i
            }
        }
        if let n = top["channels"] { config.channels = r.channels(n) }
        if let n = top["exploration"], let x = r.reader.fraction(n, name: "exploration") {
            config.exploration = x
        }
        if let n = top["holdout"], let share = r.reader.share(n, name: "holdout") { config.holdout = share }
        if let n = top["holdout-key"], let key = r.string(n, name: "holdout-key") {
            if key.isEmpty {
                r.reader.error("empty-value", "'holdout-key' must not be empty", at: r.reader.location(of: n))
            } else {
                config.holdoutKey = key
            }
        }
        if let n = top["http"] { config.http = r.http(n, channels: config.channels) }
        if let n = top["cluster"] {
            config.cluster = r.cluster(n)
            if config.cluster != nil, config.postgres == nil,
                !r.reader.diagnostics.contains(where: {
                    $0.code == "bad-store-url"
                })
            {
                r.reader.error(
                    "cluster-needs-postgres",
                    "'cluster' needs a PostgreSQL store (store: postgres://user@host:port/db); a SQLite file is one daemon's",
                    at: r.reader.location(of: n))
            }
        }
        if let n = top["customer-traits"] {
            config.customerTraits = r.reader.names(n, name: "customer-traits")
        }
        config.expansions = r.expansions
        return (config, r.reader.diagnostics.map(config.redact))
    }
}

/// Config-specific reading: environment interpolation and the structured values.
struct ConfigReader {
    var reader: YAMLReader
    let environment: [String: String]
    /// Each value a `${VAR}` expanded to → the variable's name.
    var expansions: [String: String] = [:]

    /// A string value with `${VAR}` replaced.
    mutating func string(_ node: Node, name: String) -> String? {
        guard let s = reader.string(node, name: name) else { return nil }
        return interpolate(s)
    }

    /// `text` with each `${NAME}` replaced by the environment variable; an unset variable is an error at
    /// the place it is written.
    mutating func interpolate(_ text: Located<String>) -> String? {
        guard text.value.contains("${") else { return text.value }
        var out = ""
        var ok = true
        let scalars = Array(text.value.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "$", i + 1 < scalars.count, scalars[i + 1] == "{" {
                guard let close = scalars[(i + 2)...].firstIndex(of: "}") else {
                    reader.error(
                        "bad-interpolation", "unterminated '${' (write ${NAME})",
                        at: text.location(atScalarOffset: i))
                    return nil
                }
                var name = ""
                name.unicodeScalars.append(contentsOf: scalars[(i + 2)..<close])
                if let value = environment[name], value.isEmpty {
                    // Set to nothing is nearly always a mistake (an unexported or blank `.env` line): a token or
                    // secret of "" is refused by every peer, so it is refused here, where it is written.
                    reader.error(
                        "empty-env",
                        "environment variable '\(name)' is set but empty",
                        at: text.location(atScalarOffset: i))
                    ok = false
                } else if let value = environment[name] {
                    out += value
                    expansions[value] = name
                } else {
                    reader.error(
                        "missing-env",
                        "environment variable '\(name)' is not set",
                        at: text.location(atScalarOffset: i))
                    ok = false
                }
                i = close + 1
            } else {
                out.unicodeScalars.append(scalars[i])
                i += 1
            }
        }
        return ok ? out : nil
    }

    mutating func quietHours(_ node: Node) -> QuietHours? {
        if node.tagName == .null { return nil }
        if node.tagName == .bool, node.scalar?.string.lowercased() == "false" { return nil }
        guard let s = reader.string(node, name: "quiet-hours") else { return nil }
        if s.value.lowercased() == "none" { return nil }
        guard let quiet = QuietHours(parsing: s.value) else {
            reader.error(
                "bad-quiet-hours",
                "'quiet-hours' must be a local time range like \"21:00-08:00\" (it may wrap midnight), found '\(s.value)'",
                at: s.location)
            return nil
        }
        return quiet
    }

    mutating func frequencyCap(_ node: Node) -> FrequencyCap? {
        if node.tagName == .null { return nil }
        if case .scalar(let s) = node, ["none", "false", "off"].contains(s.string) { return nil }
        guard let fields = reader.mapping(node, name: "frequency-cap", keys: ["max", "per"]) else {
            return nil
        }
        let maxNode = reader.require(fields, "max")
        let perNode = reader.require(fields, "per")
        guard let maxNode, let perNode, let max = reader.int(maxNode, name: "max"),
            let per = reader.duration(perNode, name: "per")
        else { return nil }
        if max < 1 {
            reader.error("bad-value", "'max' must be at least 1", at: reader.location(of: maxNode))
            return nil
        }
        if per.seconds <= 0 {
            reader.error("bad-duration", "'per' must be longer than 0", at: reader.location(of: perNode))
            return nil
        }
        return FrequencyCap(max: max, per: per)
    }

    mutating func channels(_ node: Node) -> [Channel: ChannelConfig] {
        var out: [Channel: ChannelConfig] = [:]
        if node.tagName == .null { return out }
        guard case .mapping(let mapping) = node else {
            reader.wrongType(node, name: "channels", expected: "a mapping")
            return out
        }
        let names = Channel.allCases.map(\.rawValue)
        for (keyNode, value) in mapping {
            guard let key = reader.string(keyNode, name: "channel") else { continue }
            guard let channel = Channel(rawValue: key.value) else {
                let hint = Suggest.didYouMean(key.value, in: names)
                reader.error(
                    "unknown-channel",
                    "unknown channel '\(key.value)'\(hint.isEmpty ? "; channels are email, sms and chat" : hint)",
                    at: key.location)
                continue
            }
            // One adapter, or a list of them: failover in order.
            let entries: [Node]
            switch value {
            case .mapping: entries = [value]
            case .sequence(let items) where !items.isEmpty: entries = Array(items)
            default:
                reader.wrongType(
                    value, name: key.value, expected: "a mapping with a 'kind', or a list of them (failover)")
                continue
            }
            var adapters: [ChannelConfig] = []
            var channelKeys = ChannelKeys()
            var retry: ChannelRetry?
            for (index, entryNode) in entries.enumerated() {
                guard case .mapping(let entry) = entryNode else {
                    reader.wrongType(entryNode, name: key.value, expected: "a mapping with a 'kind'")
                    continue
                }
                var kind: Located<String>?
                var options: [String: Located<JSONValue>] = [:]
                var keyLocations: [String: SourceLocation] = [:]
                for (optionKey, optionValue) in entry {
                    guard let k = reader.string(optionKey, name: "option") else { continue }
                    if k.value == "retry" {
                        guard index == 0 else {
                            reader.error(
                                "misplaced-key",
                                "'retry' applies to the whole channel '\(key.value)': write it on its first adapter",
                                at: k.location)
                            continue
                        }
                        retry = self.retry(optionValue, channel: key.value)
                    } else if k.value == "kind" {
                        // Which kinds exist, and which options each takes, is the adapter registry's to say.
                        guard let s = reader.string(optionValue, name: "kind") else { continue }
                        kind = s
                    } else if ChannelConfig.channelKeys.contains(k.value) {
                        guard index == 0 else {
                            reader.error(
                                "misplaced-key",
                                "'\(k.value)' applies to the whole channel '\(key.value)': write it on its first adapter",
                                at: k.location)
                            continue
                        }
                        channelKeys.read(k, optionValue, reader: &reader)
                    } else {
                        // Kept for an option whose value is refused too, so the key is not also reported
                        // missing.
                        keyLocations[k.value] = k.location
                        guard let json = option(optionValue) else { continue }
                        let at = optionValue.scalar.map { reader.located($0) }
                        options[k.value] = Located(
                            json, at: at?.location ?? reader.location(of: optionValue), style: at?.style,
                            isVerbatim: at?.isVerbatim ?? false, places: at?.places)
                    }
                }
                let location = reader.location(of: entryNode)
                if let kind {
                    adapters.append(
                        ChannelConfig(
                            kind: kind, options: options, keyLocations: keyLocations, location: location))
                } else if !entry.keys.contains(where: { $0.scalar?.string == "kind" }) {
                    reader.error(
                        "missing-key", "missing required key 'kind' in channels.\(key.value)", at: location)
                }
            }
            guard var first = adapters.first else { continue }
            first.failover = Array(adapters.dropFirst())
            first.rate = channelKeys.rate
            first.burst = channelKeys.burst
            first.failoverAfter = channelKeys.failoverAfter
            first.failoverBackoff = channelKeys.failoverBackoff
            first.retry = retry
            out[channel] = first
        }
        return out
    }

    /// A channel's `retry: { schedule: [5s, 5m, …], max-age: 24h }`, every bad value an error at its place.
    mutating func retry(_ node: Node, channel: String) -> ChannelRetry? {
        let context = "channels.\(channel).retry"
        guard
            let fields = reader.mapping(
                node, name: "retry", context: context, keys: ChannelRetry.keys)
        else { return nil }
        var out = ChannelRetry(location: reader.location(of: node))
        var ok = true
        if let n = fields["schedule"] {
            if let items = reader.sequence(n, name: "\(context).schedule") {
                var waits: [TimeSpan] = []
                for item in items {
                    // A duration is never negative (`-5s` does not parse), so every wait is one.
                    guard let d = reader.duration(item, name: "\(context).schedule") else {
                        ok = false
                        continue
                    }
                    waits.append(d)
                }
                if items.count > ChannelRetry.maxScheduleLength {
                    reader.error(
                        "bad-value",
                        "\(context).schedule lists \(items.count) waits; at most \(ChannelRetry.maxScheduleLength) (use max-age to repeat the last one)",
                        at: reader.location(of: n))
                    ok = false
                }
                out.schedule = waits
            } else {
                ok = false
            }
        }
        if let n = fields["max-age"] {
            if let d = reader.duration(n, name: "\(context).max-age") {
                if d.seconds <= 0 {
                    reader.error(
                        "bad-duration", "'\(context).max-age' must be longer than 0",
                        at: reader.location(of: n))
                    ok = false
                } else if let waits = out.schedule, waits.last.map({ $0.seconds == 0 }) ?? true {
                    reader.error(
                        "bad-value",
                        "'\(context).max-age' repeats the schedule's last wait, which must be longer than 0",
                        at: reader.location(of: n))
                    ok = false
                }
                out.maxAge = d
            } else {
                ok = false
            }
        }
        return ok ? out : nil
    }

    /// An option value as JSON, strings interpolated.
    private mutating func option(_ node: Node) -> JSONValue? {
        switch node {
        case .scalar(let scalar):
            let json = JSONValue(yamlScalar: scalar, tag: node.tagName)
            guard case .string = json else { return json }
            return interpolate(reader.located(scalar)).map { .string($0) }
        case .sequence(let items):
            var out: [JSONValue] = []
            for item in items {
                guard let v = option(item) else { return nil }
                out.append(v)
            }
            return .array(out)
        case .mapping(let mapping):
            var out: [String: JSONValue] = [:]
            for (k, v) in mapping {
                guard let key = reader.string(k, name: "option"), let value = option(v) else { return nil }
                out[key.value] = value
            }
            return .object(out)
        case .alias:
            return nil
        }
    }
}

/// The keys of a `channels:` entry that are the channel's, not its adapter's: pacing and failover.
struct ChannelKeys {
    var rate: Located<SendRate>?
    var burst: Int?
    var failoverAfter: Int?
    var failoverBackoff: TimeSpan?

    mutating func read(_ key: Located<String>, _ node: Node, reader: inout YAMLReader) {
        switch key.value {
        case "rate":
            guard let text = reader.string(node, name: "rate") else { return }
            guard let rate = SendRate(parsing: text.value) else {
                reader.error(
                    "bad-value", "'rate' must be a count per second, minute or hour like 1/s, 200/m or 500/h",
                    at: text.location)
                return
            }
            self.rate = Located(rate, at: text.location)
        case "burst":
            guard let n = reader.int(node, name: "burst") else { return }
            guard n >= 1 else {
                reader.error("bad-value", "'burst' must be at least 1", at: reader.location(of: node))
                return
            }
            burst = n
        case "failover-after":
            guard let n = reader.int(node, name: "failover-after") else { return }
            guard n >= 1 else {
                reader.error(
                    "bad-value", "'failover-after' must be at least 1", at: reader.location(of: node))
                return
            }
            failoverAfter = n
        default:
            guard let d = reader.duration(node, name: key.value) else { return }
            guard d.seconds > 0 else {
                reader.error(
                    "bad-duration", "'\(key.value)' must be longer than 0", at: reader.location(of: node))
                return
            }
            failoverBackoff = d
        }
    }
}
