import Channels
import Engine
import Foundation
import Rules
import TouchpointCore

/// The configured channel adapters, built from the config's `channels:` block.
public struct Adapters: Sendable {
    /// Channel → adapter (a ``FailoverAdapter`` when the channel lists several).
    public let byChannel: [Channel: any ChannelAdapter]
    /// Channel → its pace (`rate`, `burst`), for channels that have one.
    public let pacing: [Channel: Pacing]

    /// A channel's configured pace: sends per second on average, and the burst above it.
    public struct Pacing: Sendable, Hashable {
        /// Sends per second.
        public var perSecond: Double
        /// Sends that may go at once above the average.
        public var burst: Double
        /// As written (`200/s`), for `status`.
        public var text: String

        /// A pace.
        public init(perSecond: Double, burst: Double, text: String) {
            self.perSecond = perSecond
            self.burst = burst
            self.text = text
        }

        /// A fresh token bucket for this pace.
        public var bucket: TokenBucket { TokenBucket(rate: perSecond, burst: burst) }
    }

    /// Adapters by channel; `pacing` for the paced ones; the standard retry policy and no fingerprints.
    public init(byChannel: [Channel: any ChannelAdapter], pacing: [Channel: Pacing] = [:]) {
        self.byChannel = byChannel
        self.pacing = pacing
    }

    /// Each configured channel's pace: `rate`, with `burst` defaulting to one second's worth (at least 1).
    public static func pacing(config: Config) -> [Channel: Pacing] {
        var out: [Channel: Pacing] = [:]
        for (channel, c) in config.channels {
            guard let rate = c.rate?.value else { continue }
            let burst = Double(c.burst ?? max(1, Int(rate.perSecond.rounded(.down))))
            out[channel] = Pacing(
                perSecond: rate.perSecond, burst: burst,
                text: "\(rate)" + (c.burst.map { ", burst \($0)" } ?? ""))
        }
        return out
    }

    /// Channel → its retry policy (`retry:` in the channel's config, else ``RetryPolicy/standard``).
    public var retries: [Channel: RetryPolicy] = [:]
    /// Channel → a digest of its configuration (kind, options, retry), so a disabled endpoint is enabled
    /// again when its configuration changes. Secrets go into it hashed, never as text.
    public var fingerprints: [Channel: String] = [:]

    /// The retry policy of `channel`.
    public func retry(_ channel: Channel) -> RetryPolicy { retries[channel] ?? .standard }

    /// Builds one adapter per configured channel; errors name the channel and point into the config, and never
    /// hold a value that came from a `${VAR}` (the variable is named instead, see ``Config/redact(_:)``).
    public static func build(
        config: Config, registry: AdapterRegistry = .standard
    ) -> (Adapters, [Diagnostic]) {
        var out: [Channel: any ChannelAdapter] = [:]
        var diagnostics: [Diagnostic] = []
        var retries: [Channel: RetryPolicy] = [:]
        var fingerprints: [Channel: String] = [:]
        for (channel, c) in config.channels.sorted(by: { $0.key < $1.key }) {
            let (adapter, found) = validateChannel(channel, c, config: config, registry: registry)
            if let adapter { out[channel] = adapter }
            diagnostics += found
            retries[channel] = policy(c.retry)
            fingerprints[channel] = fingerprint(c, config: config, registry: registry)
        }
        var adapters = Adapters(byChannel: out, pacing: pacing(config: config))
        adapters.retries = retries
        adapters.fingerprints = fingerprints
        return (adapters, diagnostics.map(config.redact))
    }

    /// `check`'s diagnostics for the `channels:` block: the same ones ``build(config:registry:)`` refuses
    /// to start with (one function decides both), at the places in the config.
    public static func check(config: Config, registry: AdapterRegistry = .standard) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (channel, c) in config.channels.sorted(by: { $0.key < $1.key }) {
            diagnostics += validateChannel(channel, c, config: config, registry: registry).diagnostics
        }
        return diagnostics.map(config.redact)
    }

    /// A whole `channels:` entry: each of its adapters (``validate(_:_:config:registry:)``), then, when it
    /// lists several, the ``FailoverAdapter`` over them (refused when their kinds differ).
    static func validateChannel(
        _ channel: Channel, _ c: ChannelConfig, config: Config, registry: AdapterRegistry
    ) -> (adapter: (any ChannelAdapter)?, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var providers: [FailoverAdapter.Provider] = []
        for entry in c.adapters {
            let (adapter, found) = validate(channel, entry, config: config, registry: registry)
            diagnostics += found
            guard let adapter else { continue }
            let options = adapterOptions(entry, config: config, registry: registry)
            providers.append(
                .init(
                    adapter: adapter,
                    label: FailoverAdapter.label(
                        kind: adapter.kind, url: options["url"] ?? options["base_url"])))
        }
        guard providers.count == c.adapters.count else { return (nil, diagnostics) }
        guard providers.count > 1 else { return (providers[0].adapter, diagnostics) }
        do {
            let failover = try FailoverAdapter(
                providers: providers,
                health: FailoverHealth(
                    count: providers.count, threshold: c.failoverAfter ?? 5,
                    backoff: c.failoverBackoff ?? TimeSpan(seconds: 30)))
            return (failover, diagnostics)
        } catch let error as AdapterConfigError {
            return (
                nil,
                diagnostics + [
                    .error("bad-channel", "channel '\(channel.rawValue)': \(error.message)", at: c.location)
                ]
            )
        } catch {
            return (
                nil,
                diagnostics + [
                    .error("bad-channel", "channel '\(channel.rawValue)': \(error)", at: c.location)
                ]
            )
        }
    }

    /// The retry policy a channel's `retry:` block asks for; the standard one without it.
    static func policy(_ retry: ChannelRetry?) -> RetryPolicy {
        guard let retry else { return .standard }
        return RetryPolicy(schedule: retry.schedule ?? RetryPolicy.standardSchedule, maxAge: retry.maxAge)
    }

    /// A digest of what a channel is configured to do: its kind, its adapter options and its retry block.
    static func fingerprint(_ c: ChannelConfig, config: Config, registry: AdapterRegistry) -> String {
        var text = ""
        for entry in c.adapters {
            text += "kind=" + entry.kind.value
            for (k, v) in adapterOptions(entry, config: config, registry: registry).sorted(by: {
                $0.key < $1.key
            }) {
                text += "\n" + k + "=" + v
            }
            text += "\n"
        }
        if let r = c.retry {
            text += "\nretry=" + (r.schedule ?? []).map { "\($0.seconds)" }.joined(separator: ",")
            text += "/" + (r.maxAge.map { "\($0.seconds)" } ?? "")
        }
        return String(SHA256.hex(text).prefix(32))
    }

    /// One `channels:` entry: the kind and options against the registry, then the values `run` would
    /// refuse (``preflight(_:_:registry:)``), then the adapter itself; the adapter only when nothing is wrong.
    static func validate(
        _ channel: Channel, _ c: ChannelConfig, config: Config, registry: AdapterRegistry
    ) -> (adapter: (any ChannelAdapter)?, diagnostics: [Diagnostic]) {
        let options = c.options.map { key, located in
            AdapterRegistry.LocatedOption(
                key: key, keyLocation: c.keyLocations[key] ?? located.location, value: located.value,
                valueLocation: located.location)
        }
        var found = registry.check(
            channel: channel.rawValue, kind: c.kind.value, kindLocation: c.kind.location, options: options,
            entry: c.location)
        // An option whose value the config already refused (an unset `${VAR}`) is written, not missing.
        let refused = Set(c.keyLocations.keys).subtracting(c.options.keys).map {
            registry.adapterKey($0, kind: c.kind.value).replacingOccurrences(of: "_", with: "-")
        }
        found.removeAll { d in
            d.code == "missing-option" && refused.contains { d.message.hasSuffix("needs option '\($0)'") }
        }
        if !refused.isEmpty && !found.contains(where: { $0.severity == .error }) {
            return (nil, found)
        }
        // A value that came from the environment is named by its variable, so the error says where to look.
        for i in found.indices where found[i].code == "bad-option" {
            guard
                let option = options.first(where: { $0.valueLocation == found[i].location }),
                let text = option.value.stringValue, let name = config.expansions[text]
            else { continue }
            found[i].message += " (the value of ${\(name)})"
        }
        if found.contains(where: { $0.severity == .error }) { return (nil, found) }
        found += preflight(channel, c, registry: registry)
        if found.contains(where: { $0.severity == .error }) { return (nil, found) }
        // Options that are each fine may still be refused together (SMTP AUTH without TLS).
        switch make(channel, c, config: config, registry: registry) {
        case .adapter(let adapter): return (adapter, found)
        case .refused(let refusal): return (nil, found + [refusal])
        }
    }

    /// Whether `text` is a Twilio account sid, `^AC[0-9a-fA-F]{32}$` (the adapter puts it in the endpoint's path).
    static func isAccountSid(_ text: String) -> Bool {
        let u = Array(text.utf8)
        return u.count == 34 && u[0] == UInt8(ascii: "A") && u[1] == UInt8(ascii: "C")
            && u[2...].allSatisfy {
                (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0)
            }
    }

    /// Values the adapters would take but that cannot work, each at the place it is written: a webhook
    /// secret that is not `whsec_` + base64, a Twilio account that is not an account sid or is not the one in
    /// the configured URL, an option left empty (an environment variable set to nothing, say).
    static func preflight(_ channel: Channel, _ c: ChannelConfig, registry: AdapterRegistry) -> [Diagnostic] {
        let kind = c.kind.value
        let name = channel.rawValue
        var out: [Diagnostic] = []
        var values: [String: (key: String, value: String, at: SourceLocation)] = [:]
        for (key, located) in c.options.sorted(by: { $0.value.location < $1.value.location }) {
            let k = registry.adapterKey(key, kind: kind)
            guard let text = located.value.stringValue else { continue }
            values[k] = (key, text, located.location)
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(
                    .error(
                        "empty-option", "channel '\(name)': option '\(key)' is empty", at: located.location))
            }
        }
        if kind == "webhook", let secret = values["secret"], !secret.value.isEmpty {
            let key =
                secret.value.hasPrefix("whsec_")
                ? Data(base64Encoded: String(secret.value.dropFirst(6))) : nil
            if key.map({ $0.isEmpty }) ?? true {
                out.append(
                    .error(
                        "bad-secret",
                        "channel '\(name)': webhook secret must be whsec_ followed by base64 (a Standard Webhooks "
                            + "secret, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)",
                        at: secret.at))
            }
        }
        if kind == "twilio", let account = values["account_sid"], !account.value.isEmpty {
            if !isAccountSid(account.value) {
                out.append(
                    .error(
                        "bad-account",
                        "channel '\(name)': Twilio '\(account.key)' must be an account sid: AC followed by 32 hex digits",
                        at: account.at))
            } else if let url = values["url"],
                let inURL = twilioAccount(inURL: url.value), inURL != account.value
            {
                out.append(
                    .error(
                        "bad-account",
                        "channel '\(name)': Twilio '\(account.key)' is not the account in 'url' (/Accounts/\(inURL)/)",
                        at: account.at))
            }
        }
        return out
    }

    /// The `…/Accounts/AC…/…` segment of a Twilio Messages URL.
    static func twilioAccount(inURL url: String) -> String? {
        let parts = url.split(separator: "/", omittingEmptySubsequences: false)
        guard let i = parts.firstIndex(of: "Accounts"), i + 1 < parts.count, !parts[i + 1].isEmpty else {
            return nil
        }
        return String(parts[i + 1])
    }

    /// A channel's adapter, or why `run` refuses it.
    private enum Built {
        case adapter(any ChannelAdapter)
        case refused(Diagnostic)
    }

    /// One channel's adapter, or the diagnostic `run` refuses it with.
    private static func make(
        _ channel: Channel, _ c: ChannelConfig, config: Config, registry: AdapterRegistry
    ) -> Built {
        do {
            return .adapter(
                try registry.make(
                    kind: c.kind.value, options: adapterOptions(c, config: config, registry: registry)))
        } catch let error as AdapterConfigError {
            return .refused(
                .error("bad-channel", "channel '\(channel.rawValue)': \(error.message)", at: c.location))
        } catch {
            return .refused(.error("bad-channel", "channel '\(channel.rawValue)': \(error)", at: c.location))
        }
    }

    /// Config keys as the adapters read them: `kebab-case` or `snake_case`, SPEC §6's short Twilio names,
    /// paths resolved against the config's folder; `unsubscribe-url` is the engine's, not the adapter's.
    static func adapterOptions(_ c: ChannelConfig, config: Config, registry: AdapterRegistry = .standard)
        -> [String: String]
    {
        var out: [String: String] = [:]
        for (key, located) in c.options {
            let k = registry.adapterKey(key, kind: c.kind.value)
            if AdapterRegistry.engineOptions.contains(k) { continue }
            let value: String
            switch located.value {
            case .string(let s): value = s
            case .number(let n): value = JSONValue.format(number: n)
            case .bool(let b): value = b ? "true" : "false"
            default: value = located.value.jsonText
            }
            out[k] = (k == "path" || k == "ca_file") ? config.resolve(value) : value
        }
        // SPEC §6 writes the sender as `from: "Shop <news@shop.example>"`; the adapters take the
        // address and the display name apart.
        if let from = out["from"], out["from_name"] == nil, let split = splitMailbox(from) {
            out["from"] = split.address
            out["from_name"] = split.name
        }
        return out
    }

    /// `Name <address>` → (name, address); `nil` for a bare address.
    static func splitMailbox(_ text: String) -> (name: String, address: String)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix(">"), let open = t.lastIndex(of: "<") else { return nil }
        let address = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
        var name = t[..<open].trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = String(name.dropFirst().dropLast())
        }
        guard !address.isEmpty, !name.isEmpty else { return nil }
        return (name, address)
    }
}
