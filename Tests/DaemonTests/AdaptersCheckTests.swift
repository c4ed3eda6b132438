import Daemon
import Rules
import Testing
import TouchpointCore

/// `touchpoint check` on the `channels:` block: what `run` would refuse is an error with its place.
@Suite("check: channel adapter options")
struct AdaptersCheckTests {
    @Test("a mistyped option is an error at its key, with the option it likely meant")
    func typo() {
        let yaml = """
            channels:
              email: { kind: file, path: out }
              sms: { kind: file, path: out }
              chat: { kind: webhook, ulr: "http://127.0.0.1:1/", secert: "whsec_x" }
            """
        let (config, diagnostics) = Config.parse(yaml: yaml, path: "touchpoint.yaml")
        #expect(diagnostics == [])
        #expect(
            Adapters.check(config: config).map(\.description) == [
                "touchpoint.yaml:4:26: error: unknown option 'ulr' in channel 'chat'; did you mean 'url'?",
                "touchpoint.yaml:4:54: error: unknown option 'secert' in channel 'chat'; did you mean 'secret'?",
                "touchpoint.yaml:4:9: error: channel 'chat' (kind webhook) needs option 'url'",
            ])
    }

    @Test("the shipped example config and SPEC §6's spellings pass")
    func clean() {
        let yaml = """
            channels:
              email: { kind: smtp, url: "smtp://127.0.0.1:2525", from: "Shop <news@shop.example>", starttls: true,
                       unsubscribe-url: "https://shop.example/u/{{message.id}}", connect-timeout: 5s }
              sms: { kind: twilio, account: AC0123456789abcdef0123456789abcdef, token: t, from: "+15550100" }
              chat: { kind: webhook, url: "http://127.0.0.1:1/", format: slack }
            """
        let (config, diagnostics) = Config.parse(yaml: yaml, path: "touchpoint.yaml")
        #expect(diagnostics == [])
        #expect(Adapters.check(config: config) == [])
    }

    @Test("an unknown kind is named once, by the one registry of kinds")
    func unknownKind() {
        let (config, _) = Config.parse(
            yaml: "channels:\n  email: { kind: smpt, url: x }\n", path: "touchpoint.yaml")
        #expect(
            Adapters.check(config: config).map(\.description) == [
                "touchpoint.yaml:2:18: error: unknown channel kind 'smpt' in channel 'email'; did you mean 'smtp'?; kinds are file, smtp, twilio, webhook"
            ])
    }

    /// What `run` refuses, from ``Adapters/build(config:registry:)``, beside what `check` says.
    static func both(_ yaml: String, environment: [String: String] = [:]) -> (check: [String], run: [String])
    {
        let (config, diagnostics) = Config.parse(
            yaml: yaml, path: "touchpoint.yaml", environment: environment)
        let configErrors = diagnostics.filter { $0.severity == .error }.map(\.description)
        return (
            configErrors + Adapters.check(config: config).map(\.description),
            configErrors + Adapters.build(config: config).1.map(\.description)
        )
    }

    @Test("a webhook secret without whsec_ is an error at the value, in check and run alike")
    func secretPrefix() {
        let r = Self.both(
            """
            channels:
              chat: { kind: webhook, url: "http://127.0.0.1:1/", secret: "mysecret-no-prefix" }
            """)
        #expect(
            r.check == [
                "touchpoint.yaml:2:63: error: channel 'chat': webhook secret must be whsec_ followed by base64 (a Standard Webhooks secret, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)"
            ])
        #expect(r.run == r.check)
        // Base64 without the prefix is refused too: Standard Webhooks secrets carry it.
        #expect(
            Self.both("channels:\n  chat: { kind: webhook, url: \"http://x/\", secret: \"c2VjcmV0\" }\n")
                .check.count
                == 1)
        #expect(
            Self.both(
                "channels:\n  chat: { kind: webhook, url: \"http://x/\", secret: \"whsec_c2VjcmV0\" }\n"
            ).check
                == [])
    }

    @Test("a Twilio account that is no account sid, or not the URL's, is an error at the account")
    func twilioAccount() {
        let bad = Self.both(
            """
            channels:
              sms: { kind: twilio, account: AC1, token: t, from: "+15550100" }
            """)
        #expect(
            bad.check == [
                "touchpoint.yaml:2:33: error: channel 'sms': Twilio 'account' must be an account sid: AC followed by 32 hex digits"
            ])
        #expect(bad.run == bad.check)
        let other = Self.both(
            """
            channels:
              sms: { kind: twilio, url: "http://127.0.0.1:1/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdee/Messages.json", account: AC0123456789abcdef0123456789abcdef, token: t, from: "+15550100" }
            """)
        #expect(other.check.count == 1)
        #expect(
            other.check.first?.contains(
                "error: channel 'sms': Twilio 'account' is not the account in 'url' (/Accounts/AC0123456789abcdef0123456789abcdee/)"
            )
                == true, "\(other.check)")
        #expect(other.run == other.check)
    }

    @Test("an environment variable set but empty is one error at the ${, not a missing option as well")
    func emptyVariable() {
        let r = Self.both(
            """
            channels:
              sms: { kind: twilio, account: AC0123456789abcdef0123456789abcdef, token: "${TWILIO_TOKEN}", from: "+15550100" }
            """, environment: ["TWILIO_TOKEN": ""])
        #expect(
            r.check == ["touchpoint.yaml:2:77: error: environment variable 'TWILIO_TOKEN' is set but empty"])
        #expect(r.run == r.check)
    }
}
