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
              sms: { kind: twilio, account: AC1, token: t, from: "+15550100" }
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
}
