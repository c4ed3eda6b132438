import Foundation
import Testing
import TouchpointCore

@testable import Rules

@Suite("The http config block")
struct HTTPConfigTests {
    func parse(_ yaml: String, environment: [String: String] = [:]) -> (Config, [String]) {
        let (config, diagnostics) = Config.parse(
            yaml: yaml, path: "/srv/shop/touchpoint.yaml", environment: environment)
        return (config, diagnostics.map(\.description))
    }

    @Test("the SPEC §9 block loads with secrets from the environment; absent means off")
    func loads() throws {
        let (config, diagnostics) = parse(
            """
            http:
              listen: 127.0.0.1:8088
              public-url: https://t.shop.example/
              secret: ${TRACKING_SECRET}
              write-keys: ["${SEGMENT_WRITE_KEY}", second-key]
            """, environment: ["TRACKING_SECRET": "0123456789abcdef0123", "SEGMENT_WRITE_KEY": "wk_1"])
        #expect(diagnostics == [])
        let http = try #require(config.http)
        #expect(http.host == "127.0.0.1")
        #expect(http.port == 8088)
        #expect(http.publicURL == "https://t.shop.example")
        #expect(http.secret == "0123456789abcdef0123")
        #expect(http.writeKeys == ["wk_1", "second-key"])
        #expect(http.linkLifetime == .days(90))
        #expect(parse("rules: rules\n").0.http == nil)
    }

    @Test("the Twilio token defaults to the twilio sms channel's; link-expiry and twilio-token can be set")
    func twilioToken() throws {
        let (config, diagnostics) = parse(
            """
            channels:
              sms: { kind: twilio, url: "http://127.0.0.1:1/x", account: AC1, token: tok-1, from: "+15550100" }
            http: { listen: ":0", public-url: "http://127.0.0.1:8088", secret: 0123456789abcdef, link-expiry: 30d }
            """)
        #expect(diagnostics == [])
        #expect(config.http?.twilioToken == "tok-1")
        #expect(config.http?.linkLifetime == .days(30))
        #expect(config.http?.host == "0.0.0.0")
        #expect(config.http?.port == 0)
        let (other, _) = parse(
            "http: { listen: \"[::1]:9\", public-url: \"http://x\", secret: 0123456789abcdef, twilio-token: own }"
        )
        #expect(other.http?.twilioToken == "own")
        #expect(other.http?.host == "::1")
    }

    @Test("an unknown key is an error at its place with the nearest key suggested")
    func unknownKey() {
        let (config, diagnostics) = parse(
            """
            http:
              listen: 127.0.0.1:8088
              public_url: https://t.shop.example
              secret: 0123456789abcdef
            """)
        #expect(config.http == nil)
        #expect(
            diagnostics.contains(
                "/srv/shop/touchpoint.yaml:3:3: error: unknown key 'public_url' in http; did you mean 'public-url'?"
            ))
        #expect(
            diagnostics.contains(
                "/srv/shop/touchpoint.yaml:2:3: error: missing required key 'public-url' in http"))
    }

    @Test(
        "bad values are errors at their place",
        arguments: [
            ("listen: localhost", 11, "'listen' must be host:port"),
            ("listen: 127.0.0.1:99999", 11, "'listen' must be host:port"),
            ("public-url: t.shop.example", 15, "'public-url' must be an http:// or https:// address"),
            ("public-url: https://", 15, "'public-url' must be an http:// or https:// address"),
            ("secret: \"\"", 11, "'secret' must not be empty"),
            ("link-expiry: 90", 16, "needs a unit"),
            ("link-expiry: 0s", 16, "'link-expiry' must be longer than 0"),
            ("write-keys: wk", 15, "'write-keys' must be a list"),
        ])
    func badValues(line: String, column: Int, message: String) {
        let base = [
            "listen: 127.0.0.1:8088", "public-url: https://t.shop.example", "secret: 0123456789abcdef",
        ]
        let key = String(line.prefix { $0 != ":" })
        let lines = base.filter { !$0.hasPrefix(key + ":") } + [line]
        let (config, diagnostics) = parse("http:\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n")
        #expect(config.http == nil)
        let place = "/srv/shop/touchpoint.yaml:\(lines.count + 1):\(column): error:"
        #expect(diagnostics.contains { $0.hasPrefix(place) && $0.contains(message) }, "\(diagnostics)")
    }

    @Test("a short secret is a warning, not an error")
    func weakSecret() {
        let (config, diagnostics) = parse(
            "http: { listen: \"127.0.0.1:1\", public-url: \"http://x\", secret: short }")
        #expect(config.http?.secret == "short")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.contains("warning: 'secret' is 5 bytes") == true)
    }

    @Test("send.tracking is a boolean, default true; a typo is caught")
    func sendTracking() {
        let (set, diagnostics) = parseRules(
            """
            rules:
              - name: a
                when: { event: X }
                send: { template: t, channels: [email], tracking: false }
              - name: b
                when: { event: X }
                send: { template: t, channels: [email] }
              - name: c
                when: { event: X }
                send: { template: t, channels: [email], traking: false }
            """)
        #expect(set.rules.map(\.send.tracking) == [false, true])
        #expect(
            diagnostics == ["r.yaml:10:45: error: unknown key 'traking' in send; did you mean 'tracking'?"])
    }
}
