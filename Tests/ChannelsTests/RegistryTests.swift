import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("Adapter registry")
struct RegistryTests {
    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("the standard registry knows file, webhook, twilio and smtp")
    func standardKinds() {
        #expect(Set(AdapterRegistry.standard.registrations.keys) == ["file", "webhook", "twilio", "smtp"])
    }

    @Test("make builds the adapter for a kind, ignoring a kind key in the options")
    func makes() throws {
        let a = try AdapterRegistry.make(
            kind: "webhook", options: ["kind": "webhook", "url": "http://127.0.0.1:1/"])
        #expect(a.kind == "webhook")
        #expect(a.peerDeduplicates)
        let s = try AdapterRegistry.make(
            kind: "smtp", options: ["url": "smtp://127.0.0.1:1", "from": "a@b.test"])
        #expect(!s.peerDeduplicates)
    }

    @Test("an unknown option is named, with a did-you-mean")
    func unknownOption() {
        let m = message {
            _ = try AdapterRegistry.make(kind: "webhook", options: ["url": "http://x/", "secert": "s"])
        }
        #expect(m == "unknown option 'secert' for channel kind 'webhook'; did you mean 'secret'?")
    }

    @Test("an unknown kind is named, with a did-you-mean")
    func unknownKind() {
        let m = message { _ = try AdapterRegistry.make(kind: "smpt", options: [:]) }
        #expect(m == "unknown channel kind 'smpt'; did you mean 'smtp'?")
    }

    @Test("a missing required option is named")
    func missingOption() {
        let m = message { _ = try AdapterRegistry.make(kind: "smtp", options: ["url": "smtp://h"]) }
        #expect(m == "channel kind 'smtp' needs option 'from'")
    }

    @Test("bad option values are refused with the option's name")
    func badValues() {
        #expect(
            message {
                _ = try AdapterRegistry.make(
                    kind: "webhook", options: ["url": "http://x/", "format": "slak"])
            }
                == "option 'format' of channel kind 'webhook' must be generic or slack, not 'slak'; did you mean 'slack'?"
        )
        #expect(
            message {
                _ = try AdapterRegistry.make(
                    kind: "webhook", options: ["url": "http://x/", "timeout": "soon"])
            }
                == "option 'timeout' of channel kind 'webhook' must be a duration like 30s, not 'soon'")
        #expect(
            message { _ = try AdapterRegistry.make(kind: "webhook", options: ["url": "ftp://x/"]) } != nil)
        #expect(
            message {
                _ = try AdapterRegistry.make(
                    kind: "webhook", options: ["url": "http://x/", "secret": "whsec_!!"])
            }
                == "webhook secret must be whsec_ followed by base64")
        #expect(
            message {
                _ = try AdapterRegistry.make(
                    kind: "smtp", options: ["url": "smtp://h", "from": "a@b.test", "starttls": "maybe"])
            } == "option 'starttls' of channel kind 'smtp' must be true or false, not 'maybe'")
        #expect(
            message {
                _ = try AdapterRegistry.make(
                    kind: "twilio", options: ["account_sid": "AC1", "auth_token": "t"])
            } == "channel kind 'twilio' needs exactly one of 'from' or 'messaging_service_sid'")
    }

    @Test("a new kind is one registration")
    func customKind() throws {
        struct Null: ChannelAdapter {
            let kind = "null"
            var peerDeduplicates: Bool { true }
            func prepare(_ m: OutboundMessage, now: Instant) throws -> PreparedRequest {
                PreparedRequest(
                    kind: kind, messageId: m.messageId, method: "NONE", body: .init(),
                    idempotencyKey: m.messageId)
            }
            func send(_ r: PreparedRequest) async -> DeliveryOutcome {
                .delivered(providerId: nil, answer: "")
            }
        }
        var r = AdapterRegistry()
        r.register(.init(kind: "null", required: [], optional: []) { _, _ in Null() })
        #expect(try r.make(kind: "null", options: [:]).kind == "null")
    }
}

@Suite("Adapter registry: check")
struct RegistryCheckTests {
    func at(_ line: Int, _ column: Int) -> TouchpointCore.SourceLocation {
        TouchpointCore.SourceLocation(file: "touchpoint.yaml", line: line, column: column)
    }

    func option(_ key: String, _ value: JSONValue, _ line: Int, _ column: Int)
        -> AdapterRegistry.LocatedOption
    {
        AdapterRegistry.LocatedOption(
            key: key, keyLocation: at(line, column), value: value,
            valueLocation: at(line, column + key.count + 2))
    }

    @Test("unknown options are errors at the key, with the nearest option in the config's spelling")
    func unknownOptions() {
        let d = AdapterRegistry.standard.check(
            channel: "chat", kind: "webhook", kindLocation: at(4, 16),
            options: [
                option("ulr", "http://x/", 4, 10), option("secert", "s", 5, 10), option("ca_fil", "x", 6, 10),
            ],
            entry: at(4, 3))
        #expect(
            d.map(\.description) == [
                "touchpoint.yaml:4:10: error: unknown option 'ulr' in channel 'chat'; did you mean 'url'?",
                "touchpoint.yaml:5:10: error: unknown option 'secert' in channel 'chat'; did you mean 'secret'?",
                "touchpoint.yaml:6:10: error: unknown option 'ca_fil' in channel 'chat'; did you mean 'ca-file'?",
                "touchpoint.yaml:4:3: error: channel 'chat' (kind webhook) needs option 'url'",
            ])
    }

    @Test("kinds, aliases, the engine's unsubscribe-url and typed values")
    func kindsAndTypes() {
        let registry = AdapterRegistry.standard
        #expect(
            registry.check(
                channel: "email", kind: "smpt", kindLocation: at(3, 16), options: [], entry: at(3, 3)
            )
            .map(\.description) == [
                "touchpoint.yaml:3:16: error: unknown channel kind 'smpt' in channel 'email'; did you mean 'smtp'?; kinds are file, smtp, twilio, webhook"
            ])
        let twilio = registry.check(
            channel: "sms", kind: "twilio", kindLocation: at(4, 16),
            options: [
                option("account", "AC1", 4, 20), option("token", "t", 4, 40), option("from", "+1", 4, 50),
                option("unsubscribe-url", "https://u/{{message.id}}", 4, 60),
                option("connect-timeout", "soon", 5, 5),
            ], entry: at(4, 3))
        #expect(
            twilio.map(\.description) == [
                "touchpoint.yaml:5:22: error: option 'connect-timeout' in channel 'sms' must be a duration like 30s"
            ])
        let smtp = registry.check(
            channel: "email", kind: "smtp", kindLocation: at(3, 16),
            options: [
                option("url", "smtp://h", 3, 20), option("from", "a@b", 3, 40),
                option("starttls", "maybe", 3, 60),
            ],
            entry: at(3, 3))
        #expect(
            smtp.map(\.description) == [
                "touchpoint.yaml:3:70: error: option 'starttls' in channel 'email' must be true or false"
            ])
        let webhook = registry.check(
            channel: "chat", kind: "webhook", kindLocation: at(5, 16),
            options: [
                option("url", "http://x/", 5, 20), option("format", "slak", 5, 40),
                option("insecure", true, 5, 60),
            ],
            entry: at(5, 3))
        #expect(
            webhook.map(\.description) == [
                "touchpoint.yaml:5:48: error: option 'format' in channel 'chat' must be generic or slack, not 'slak'; did you mean 'slack'?"
            ])
        #expect(registry.adapterKey("account", kind: "twilio") == "account_sid")
        #expect(registry.adapterKey("connect-timeout", kind: "smtp") == "connect_timeout")
    }
}
