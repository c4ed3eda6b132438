import Foundation
import Testing
import TouchpointCore

@testable import Rules

@Suite("Config")
struct ConfigTests {
    /// The SPEC §6 example, verbatim.
    static let specConfig = """
        # touchpoint.yaml
        rules: rules
        templates: templates
        events: events
        store: touchpoint.sqlite
        default-timezone: Asia/Shanghai
        quiet-hours: "21:00-08:00"
        frequency-cap: { max: 3, per: 7d }
        channels:
          email: { kind: smtp, url: "smtp://127.0.0.1:2525", from: "Shop <news@shop.example>",
                   unsubscribe-url: "https://shop.example/u/{{message.id}}" }
          sms:   { kind: twilio, url: "http://127.0.0.1:8080/2010-04-01/Accounts/AC1/Messages.json",
                   account: AC1, token: "${TWILIO_TOKEN}", from: "+15550100" }
          chat:  { kind: webhook, url: "http://127.0.0.1:8080/hooks/chat", secret: "${WEBHOOK_SECRET}" }
        """

    @Test(
        "the SPEC §6 example loads, paths resolved against the config's folder, secrets from the environment")
    func specExample() throws {
        let (config, diagnostics) = Config.parse(
            yaml: Self.specConfig, path: "/srv/shop/touchpoint.yaml",
            environment: ["TWILIO_TOKEN": "tok", "WEBHOOK_SECRET": "whsec"])
        #expect(diagnostics == [])
        #expect(config.path == "/srv/shop/touchpoint.yaml")
        #expect(config.baseDirectory == "/srv/shop")
        #expect(config.rulesDirectory == "/srv/shop/rules")
        #expect(config.templatesDirectory == "/srv/shop/templates")
        #expect(config.eventsDirectory == "/srv/shop/events")
        #expect(config.storePath == "/srv/shop/touchpoint.sqlite")
        #expect(config.defaultTimezone.identifier == "Asia/Shanghai")
        #expect(config.quietHours == QuietHours(startMinute: 21 * 60, endMinute: 8 * 60))
        #expect(config.frequencyCap == FrequencyCap(max: 3, per: .days(7)))
        #expect(config.maxLateness == .hours(1))
        #expect(config.lateness == .minutes(5))
        #expect(config.smsSegmentWarning == 3)
        let email = try #require(config.channels[.email])
        #expect(email.kind.value == "smtp")
        #expect(email.string("url") == "smtp://127.0.0.1:2525")
        #expect(email.string("unsubscribe-url") == "https://shop.example/u/{{message.id}}")
        #expect(email.location == SourceLocation(file: "/srv/shop/touchpoint.yaml", line: 10, column: 10))
        let sms = try #require(config.channels[.sms])
        #expect(sms.string("token") == "tok")
        #expect(sms.string("account") == "AC1")
        #expect(sms.options["from"]?.value == "+15550100")
        #expect(
            sms.options["token"]?.location
                == SourceLocation(file: "/srv/shop/touchpoint.yaml", line: 13, column: 34))
        #expect(config.channels[.chat]?.string("secret") == "whsec")
        #expect(config.channels[.chat]?.kind.value == "webhook")
    }

    @Test("without a config file the built-in defaults apply: file adapter into outbox for every channel")
    func builtInDefaults() throws {
        let defaults = Config.defaults()
        #expect(defaults.path == nil)
        #expect(defaults.rulesDirectory == "rules")
        #expect(defaults.templatesDirectory == "templates")
        #expect(defaults.eventsDirectory == "events")
        #expect(defaults.storePath == "touchpoint.sqlite")
        #expect(defaults.defaultTimezone == .utc)
        #expect(defaults.quietHours == QuietHours(parsing: "21:00-08:00"))
        #expect(defaults.frequencyCap == FrequencyCap(max: 3, per: .days(7)))
        #expect(defaults.maxLateness == .hours(1) && defaults.lateness == .minutes(5))
        #expect(defaults.smsSegmentWarning == 3)
        #expect(Set(defaults.channels.keys) == Set(Channel.allCases))
        for channel in Channel.allCases {
            #expect(defaults.channels[channel]?.kind.value == "file")
            #expect(defaults.channels[channel]?.string("path") == "outbox")
        }
    }

    @Test("quiet hours and the frequency cap can be switched off")
    func switchOff() {
        let (config, diagnostics) = Config.parse(
            yaml: "quiet-hours: none\nfrequency-cap: none\n", path: "tp.yaml")
        #expect(diagnostics == [])
        #expect(config.quietHours == nil && config.frequencyCap == nil)
    }

    @Test(
        "paths are normalised lexically",
        arguments: [
            ("a/../b", "b"), ("./a/./b", "a/b"), ("../x", "../x"), ("/a/b/../c", "/a/c"), ("a/..", "."),
        ])
    func normalise(path: String, expected: String) {
        #expect(Config.normalize(path) == expected)
    }

    @Test("load reads the file and resolves relative paths against its folder")
    func loadFromFile() throws {
        let root = try makeFolder([
            "conf/tp.yaml":
                "rules: ../my-rules\nstore: /var/tp.sqlite\nmax-lateness: 2h\nlateness: 30s\nsms-segment-warning: 2\n"
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (config, diagnostics) = Config.load(path: root + "/conf/tp.yaml", environment: [:])
        #expect(diagnostics == [])
        #expect(config.baseDirectory == root + "/conf")
        #expect(config.rulesDirectory == root + "/my-rules")
        #expect(config.templatesDirectory == root + "/conf/templates")
        #expect(config.storePath == "/var/tp.sqlite")
        #expect(config.maxLateness == .hours(2))
        #expect(config.lateness == .seconds30)
        #expect(config.smsSegmentWarning == 2)
        #expect(config.resolve("outbox") == root + "/conf/outbox")
    }

    @Test("a config in the working folder keeps paths relative")
    func bareFileName() {
        let (config, _) = Config.parse(yaml: "rules: r\n", path: "touchpoint.yaml")
        #expect(config.baseDirectory == ".")
        #expect(config.rulesDirectory == "r")
    }

    @Test("an explicit config file that does not exist is an error; an absent default is not")
    func missingFile() {
        let (_, diagnostics) = Config.load(path: "/nonexistent/touchpoint.yaml", environment: [:])
        #expect(
            diagnostics.map(\.description) == [
                "error: config file '/nonexistent/touchpoint.yaml' does not exist"
            ])
    }

    @Test("a channels block replaces the defaults: an unlisted channel has no adapter")
    func channelsReplaceDefaults() {
        let (config, diagnostics) = Config.parse(
            yaml: "channels:\n  email: { kind: file, path: out }\n", path: "c.yaml")
        #expect(diagnostics == [])
        #expect(Array(config.channels.keys) == [.email])
        #expect(config.channels[.email]?.string("path") == "out")
    }

    @Test("options keep every JSON type for the adapters to check")
    func optionTypes() throws {
        let (config, diagnostics) = Config.parse(
            yaml:
                "channels:\n  chat: { kind: webhook, format: slack, timeout: 5, verbose: true, headers: { X-Key: \"${K}\" }, list: [a, 1] }\n",
            path: "c.yaml", environment: ["K": "v"])
        #expect(diagnostics == [])
        let chat = try #require(config.channels[.chat])
        #expect(chat.options["timeout"]?.value == 5)
        #expect(chat.options["verbose"]?.value == true)
        #expect(chat.options["headers"]?.value == ["X-Key": "v"])
        #expect(chat.options["list"]?.value == ["a", 1])
        #expect(chat.options["kind"] == nil)
    }

    @Test("a missing environment variable is an error naming it, at the ${")
    func missingEnvironment() {
        let (_, diagnostics) = Config.parse(
            yaml: "channels:\n  sms: { kind: twilio, token: \"t-${TWILIO_TOKEN}\" }\n", path: "c.yaml",
            environment: [:])
        #expect(
            diagnostics.map(\.description) == [
                "c.yaml:2:34: error: environment variable 'TWILIO_TOKEN' is not set"
            ])
        #expect(diagnostics.first?.code == "missing-env")
        let (_, unterminated) = Config.parse(
            yaml: "store: \"${X\"\n", path: "c.yaml", environment: ["X": "1"])
        #expect(unterminated.map(\.description) == ["c.yaml:1:9: error: unterminated '${' (write ${NAME})"])
    }

    @Test("paths are interpolated too")
    func pathInterpolation() {
        let (config, diagnostics) = Config.parse(
            yaml: "store: ${DATA}/tp.sqlite\n", path: "/etc/tp/c.yaml", environment: ["DATA": "/data"])
        #expect(diagnostics == [])
        #expect(config.storePath == "/data/tp.sqlite")
    }

    @Test(
        "unknown keys and channels are errors with suggestions; the kind is kept with its place for the registry"
    )
    func unknownNames() {
        let (config, diagnostics) = Config.parse(
            yaml:
                "rule: r\nchannels:\n  emial: { kind: smtp }\n  sms: { kind: twillio, ulr: x }\n  chat: { url: x }\n",
            path: "c.yaml")
        #expect(
            diagnostics.map(\.description) == [
                "c.yaml:1:1: error: unknown key 'rule' in the config file; did you mean 'rules'?",
                "c.yaml:3:3: error: unknown channel 'emial'; did you mean 'email'?",
                "c.yaml:5:9: error: missing required key 'kind' in channels.chat",
            ])
        // Which kinds exist is Channels.AdapterRegistry's to say (see the daemon's Adapters.check).
        #expect(config.channels[.sms]?.kind.value == "twillio")
        #expect(config.channels[.sms]?.kind.location.description == "c.yaml:4:16")
        #expect(config.channels[.sms]?.keyLocations["ulr"]?.description == "c.yaml:4:25")
    }

    @Test("bad values: timezone, quiet hours, frequency cap, durations, segment warning")
    func badValues() {
        let (_, diagnostics) = Config.parse(
            yaml: """
                default-timezone: Asia/Shangai
                quiet-hours: "21:00-25:00"
                frequency-cap: { max: 0, per: 7d }
                max-lateness: 60
                sms-segment-warning: 0
                """, path: "c.yaml")
        #expect(
            diagnostics.map(\.description) == [
                "c.yaml:1:19: error: unknown timezone 'Asia/Shangai'; did you mean 'Asia/Shanghai'?",
                "c.yaml:2:15: error: 'quiet-hours' must be a local time range like \"21:00-08:00\" (it may wrap midnight), found '21:00-25:00'",
                "c.yaml:3:23: error: 'max' must be at least 1",
                "c.yaml:4:15: error: 'max-lateness' needs a unit: '60' is a bare number; write a duration like 45s, 15m, 1h, 1h30m, 7d or 2w",
                "c.yaml:5:22: error: 'sms-segment-warning' must be at least 1",
            ])
        let (_, cap) = Config.parse(yaml: "frequency-cap: { max: 3 }\n", path: "c.yaml")
        #expect(cap.map(\.description) == ["c.yaml:1:16: error: missing required key 'per' in frequency-cap"])
    }

    @Test("quiet hours may be none, null or false")
    func quietHoursOff() {
        for text in ["quiet-hours: none\n", "quiet-hours:\n", "quiet-hours: false\n"] {
            let (config, diagnostics) = Config.parse(yaml: text, path: "c.yaml")
            #expect(diagnostics == [])
            #expect(config.quietHours == nil)
        }
    }

    @Test("an unquoted time range and an empty config file are fine")
    func plainValues() {
        let (config, diagnostics) = Config.parse(yaml: "quiet-hours: 22:30-07:00\n", path: "c.yaml")
        #expect(diagnostics == [])
        #expect(config.quietHours == QuietHours(startMinute: 22 * 60 + 30, endMinute: 7 * 60))
        #expect(Config.parse(yaml: "", path: "c.yaml").1 == [])
    }
}

extension TimeSpan {
    fileprivate static let seconds30 = TimeSpan(seconds: 30)
}

@Suite("Config exploration")
struct ConfigExplorationTests {
    @Test("exploration takes a number from 0 to 1 and refuses others at their place")
    func exploration() {
        let (ok, d1) = Config.parse(yaml: "exploration: 0\n", path: "tp.yaml")
        #expect(d1 == [] && ok.exploration == 0)
        let (_, d2) = Config.parse(yaml: "exploration: 3\n", path: "tp.yaml")
        #expect(d2.first?.location?.line == 1)
        #expect(d2.first?.message.contains("from 0 to 1") == true)
    }

    @Test(
        "a channel's retry block is read with its places: schedule and max-age as durations, not an adapter option"
    )
    func channelRetry() throws {
        let (config, diagnostics) = Config.parse(
            yaml:
                "channels:\n  chat: { kind: webhook, url: x, retry: { schedule: [0s, 5s, 1h], max-age: 24h } }\n",
            path: "c.yaml")
        #expect(diagnostics == [])
        let chat = try #require(config.channels[.chat])
        #expect(chat.retry?.schedule == [TimeSpan(seconds: 0), TimeSpan(seconds: 5), .hours(1)])
        #expect(chat.retry?.maxAge == .hours(24))
        #expect(chat.options["retry"] == nil)
        let (_, bad) = Config.parse(
            yaml:
                "channels:\n  chat: { kind: webhook, url: x, retry: { schedule: [1s, 0s], max-age: 1d, every: 2 } }\n",
            path: "c.yaml")
        #expect(
            Set(bad.map(\.description)) == [
                "c.yaml:2:76: error: unknown key 'every' in channels.chat.retry",
                "c.yaml:2:72: error: 'channels.chat.retry.max-age' repeats the schedule's last wait, which must be longer than 0",
            ], "\(bad)")
    }
}
