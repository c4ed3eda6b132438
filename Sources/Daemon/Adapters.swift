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

    /// Adapters by channel; `pacing` for the paced ones.
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

    /// Builds one adapter per configured channel; errors name the channel and point into the config, and never
    /// hold a value that came from a `${VAR}` (the variable is named instead, see ``Config/redact(_:)``).
    public static func build(
        config: Config, registry: AdapterRegistry = .standard
    ) -> (Adapters, [Diagnostic]) {
        var out: [Channel: any ChannelAdapter] = [:]
        var diagnostics: [Diagnostic] = []
        for (channel, c) in config.channels.sorted(by: { $0.key < $1.key }) {
            switch make(channel, c, config: config, registry: registry) {
            case .adapter(let adapter): out[channel] = adapter
            case .refused(let d): diagnostics.append(d)
            }
        }
        return (Adapters(byChannel: out, pacing: pacing(config: config)), diagnostics.map(config.redact))
    }

    /// `check`'s diagnostics for the `channels:` block: each entry against the registry's kinds and
    /// their options, at the places in the config.
    public static func check(config: Config, registry: AdapterRegistry = .standard) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (channel, channelConfig) in config.channels.sorted(by: { $0.key < $1.key }) {
            var found: [Diagnostic] = []
            for c in channelConfig.adapters {
                let options = c.options.map { key, located in
                    AdapterRegistry.LocatedOption(
                        key: key, keyLocation: c.keyLocations[key] ?? located.location, value: located.value,
                        valueLocation: located.location)
                }
                found += registry.check(
                    channel: channel.rawValue, kind: c.kind.value, kindLocation: c.kind.location,
                    options: options,
                    entry: c.location)
            }
            let c = channelConfig
            diagnostics += found
            // Options that are each fine may still be refused together (SMTP AUTH without TLS): what `run`
            // would say, said here too.
            if !found.contains(where: { $0.severity == .error }),
                case .refused(let refusal) = make(channel, c, config: config, registry: registry)
            {
                diagnostics.append(refusal)
            }
        }
        return diagnostics.map(config.redact)
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
        var place = c.location
        do {
            var providers: [FailoverAdapter.Provider] = []
            for entry in c.adapters {
                place = entry.location
                let options = adapterOptions(entry, config: config, registry: registry)
                let adapter = try registry.make(kind: entry.kind.value, options: options)
                providers.append(
                    .init(
                        adapter: adapter,
                        label: FailoverAdapter.label(
                            kind: adapter.kind, url: options["url"] ?? options["base_url"])))
            }
            place = c.location
            guard providers.count > 1 else { return .adapter(providers[0].adapter) }
            return .adapter(
                try FailoverAdapter(
                    providers: providers,
                    health: FailoverHealth(
                        count: providers.count, threshold: c.failoverAfter ?? 5,
                        backoff: c.failoverBackoff ?? TimeSpan(seconds: 30))))
        } catch let error as AdapterConfigError {
            return .refused(
                .error("bad-channel", "channel '\(channel.rawValue)': \(error.message)", at: place))
        } catch {
            return .refused(.error("bad-channel", "channel '\(channel.rawValue)': \(error)", at: place))
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
