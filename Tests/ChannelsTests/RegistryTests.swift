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
