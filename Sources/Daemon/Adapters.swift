import Channels
import Engine
import Rules
import TouchpointCore

/// The configured channel adapters, built from the config's `channels:` block.
public struct Adapters: Sendable {
    /// Channel → (adapter kind, adapter).
    public let byChannel: [Channel: any ChannelAdapter]

    /// Builds one adapter per configured channel; errors name the channel and point into the config.
    public static func build(
        config: Config, registry: AdapterRegistry = .standard
    ) -> (Adapters, [Diagnostic]) {
        var out: [Channel: any ChannelAdapter] = [:]
        var diagnostics: [Diagnostic] = []
        for (channel, c) in config.channels.sorted(by: { $0.key < $1.key }) {
            let options = adapterOptions(c, config: config)
            do {
                out[channel] = try registry.make(kind: c.kind.value, options: options)
            } catch let error as AdapterConfigError {
                diagnostics.append(
                    .error("bad-channel", "channel '\(channel.rawValue)': \(error.message)", at: c.location))
            } catch {
                diagnostics.append(.error("bad-channel", "channel '\(channel.rawValue)': \(error)", at: c.location))
            }
        }
        return (Adapters(byChannel: out), diagnostics)
    }

    /// Config keys as the adapters read them: `kebab-case` or `snake_case`, SPEC §6's short Twilio names,
    /// paths resolved against the config's folder; `unsubscribe-url` is the engine's, not the adapter's.
    static func adapterOptions(_ c: ChannelConfig, config: Config) -> [String: String] {
        var out: [String: String] = [:]
        for (key, located) in c.options {
            var k = key.replacingOccurrences(of: "-", with: "_")
            if k == "unsubscribe_url" { continue }
            if c.kind.value == "twilio" {
                if k == "account" { k = "account_sid" }
                if k == "token" { k = "auth_token" }
            }
            let value: String
            switch located.value {
            case .string(let s): value = s
            case .number(let n): value = JSONValue.format(number: n)
            case .bool(let b): value = b ? "true" : "false"
            default: value = located.value.jsonText
            }
            out[k] = (k == "path" || k == "ca_file") ? config.resolve(value) : value
        }
        return out
    }
}
