import Foundation
import Testing
import TouchpointCore

@testable import Rules

@Suite("Rule test files")
struct RuleTestFileTests {
    /// The SPEC §2 example test file, verbatim.
    static let specTests = """
        tests:
          - name: an abandoned cart gets one reminder an hour later
            start: 2026-11-02T10:00:00+08:00          # times below are absolute or relative to start
            customers:
              u1: { email: li@example.com, first_name: 雷, timezone: Asia/Shanghai }
            events:
              - { at: +0m, customer: u1, event: Product Added, properties: { cart_url: "https://s/1" } }
            until: +2d
            rules: [cart-abandoned]                   # optional: only these rules' messages are compared
            expect:
              - { rule: cart-abandoned, customer: u1, channel: email, send_at: +1h, text: "购物车" }
          - name: ordering within the hour cancels the reminder
            start: 2026-11-02T10:00:00+08:00
            customers: { u1: { email: li@example.com } }
            events:
              - { at: +0m, customer: u1, event: Product Added }
              - { at: +30m, customer: u1, event: Order Completed }
            rules: [cart-abandoned]
            expect: []                                # nothing may fire
        """

    private func errors(_ yaml: String) -> [String] {
        RuleTestFile.parse(yaml: yaml, file: "t.yaml").1.map(\.description)
    }

    @Test("the SPEC §2 example test file parses exactly")
    func specExample() throws {
        let (tests, diagnostics) = RuleTestFile.parse(yaml: Self.specTests, file: "rules/tests/cart.yaml")
        #expect(diagnostics == [])
        try #require(tests.count == 2)
        let first = tests[0]
        let start = try #require(ISO8601.parse("2026-11-02T10:00:00+08:00"))
        #expect(first.name.value == "an abandoned cart gets one reminder an hour later")
        #expect(first.location == SourceLocation(file: "rules/tests/cart.yaml", line: 2, column: 5))
        #expect(first.start == start)
        #expect(first.start.offsetSeconds == 8 * 3600)
        #expect(first.customers.map(\.id.value) == ["u1"])
        #expect(
            first.customers[0].traits == [
                "email": "li@example.com", "first_name": "雷", "timezone": "Asia/Shanghai",
            ])
        try #require(first.events.count == 1)
        let event = first.events[0]
        #expect(event.at == .relative(.zero))
        #expect(event.customer.value == "u1")
        #expect(event.name?.value == "Product Added")
        #expect(event.identify == nil)
        #expect(event.properties == ["cart_url": "https://s/1"])
        #expect(event.location == SourceLocation(file: "rules/tests/cart.yaml", line: 7, column: 9))
        #expect(first.until == .relative(.days(2)))
        #expect(first.untilInstant == start.instant + .days(2))
        #expect(first.rules?.map(\.value) == ["cart-abandoned"])
        try #require(first.expect.count == 1)
        let expectation = first.expect[0]
        #expect(expectation.rule?.value == "cart-abandoned")
        #expect(expectation.customer == "u1")
        #expect(expectation.channel == .email)
        #expect(expectation.sendAt == .relative(.hours(1)))
        #expect(expectation.sendAt?.instant(from: first.start.instant) == start.instant + .hours(1))
        #expect(expectation.decision == .send)
        #expect(expectation.reason == nil)
        #expect(expectation.text == "购物车")

        let second = tests[1]
        #expect(second.customers[0].traits == ["email": "li@example.com"])
        #expect(second.events.map { $0.name?.value } == ["Product Added", "Order Completed"])
        #expect(second.events[1].at == .relative(.minutes(30)))
        #expect(second.until == nil)
        #expect(second.expect.isEmpty)
    }

    @Test("a test event becomes a Core event at its resolved time, keeping the start's offset")
    func coreEvent() throws {
        let (tests, _) = RuleTestFile.parse(yaml: Self.specTests, file: "t.yaml")
        let test = try #require(tests.last)
        let event = test.events[1].event(start: test.start)
        #expect(event.kind == .track)
        #expect(event.name == "Order Completed")
        #expect(event.userId == "u1")
        #expect(event.timestamp.text == "2026-11-02T10:30:00+08:00")
        #expect(event.source == test.events[1].location)
    }

    @Test("identify entries carry traits; message ids, absolute times, suppressed expectations")
    func otherForms() throws {
        let (tests, diagnostics) = RuleTestFile.parse(
            yaml: """
                tests:
                  - name: other forms
                    start: 2026-11-02T10:00:00Z
                    events:
                      - { at: 2026-11-02T09:00:00Z, customer: u2, identify: { email: a@b.c, vip: yes, age: 30 } }
                      - { at: -1h, customer: u2, event: Viewed, message_id: m-1 }
                    expect:
                      - { rule: r, reason: quiet-hours }
                      - { decision: suppressed, reason: frequency-cap, send_at: 2026-11-03T08:00:00+08:00 }
                """, file: "t.yaml")
        #expect(diagnostics == [])
        let test = try #require(tests.first)
        let identify = test.events[0]
        #expect(identify.name == nil)
        #expect(identify.identify == ["email": "a@b.c", "vip": "yes", "age": 30])
        #expect(identify.event(start: test.start).kind == .identify)
        #expect(identify.at == .absolute(ISO8601.parse("2026-11-02T09:00:00Z")!))
        #expect(test.events[1].at == .relative(TimeSpan(seconds: -3600)))
        #expect(test.events[1].messageId == "m-1")
        #expect(test.expect[0].decision == .suppressed)
        #expect(test.expect[0].reason == .quietHours)
        #expect(
            test.expect[1].sendAt?.instant(from: test.start.instant)
                == ISO8601.parse("2026-11-03T00:00:00Z")!.instant)
    }

    @Test("errors: unknown keys, bad times, unknown channel and reason, conflicting entries")
    func errorCases() {
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    expect:\n      - { chanel: email }\n"
            )
                == ["t.yaml:5:11: error: unknown key 'chanel' in expect; did you mean 'channel'?"])
        #expect(
            errors("tests:\n  - name: a\n    start: tomorrow\n    expect: []\n")
                == [
                    "t.yaml:3:12: error: 'start' must be an ISO 8601 time with offset like 2026-11-02T10:00:00+08:00, found 'tomorrow'"
                ])
        #expect(
            errors("tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    until: 2d\n    expect: []\n")
                == [
                    "t.yaml:4:12: error: 'until' must be a time like +1h or +0m (relative to start) or 2026-11-02T10:00:00+08:00, found '2d'"
                ])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    expect:\n      - { channel: mail }\n"
            )
                == ["t.yaml:5:20: error: unknown channel 'mail'; did you mean 'email'?"])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    expect:\n      - { reason: quiet }\n"
            )
                == [
                    "t.yaml:5:19: error: unknown reason 'quiet'; reasons are cancelled, rule-limit, frequency-cap, no-reachable-channel, unsubscribed, quiet-hours, window-expired, missing-variable, render-error, bounced, holdout, invalid-address"
                ])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    expect:\n      - { decision: send, reason: cancelled }\n"
            )
                == ["t.yaml:5:27: error: a 'reason' goes with decision 'suppressed', not 'send'"])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    expect:\n      - { decision: sent }\n"
            )
                == [
                    "t.yaml:5:21: error: 'decision' must be send or suppressed, found 'sent'; did you mean 'send'?"
                ])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    events:\n      - { at: +0m, customer: u, event: X, identify: {} }\n    expect: []\n"
            )
                == ["t.yaml:5:43: error: an event entry takes either 'event' or 'identify', not both"])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    events:\n      - { at: +0m, customer: u }\n    expect: []\n"
            )
                == ["t.yaml:5:9: error: an event entry needs 'event' (a track) or 'identify' (traits)"])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    events:\n      - { customer: u, event: X }\n    expect: []\n"
            )
                == ["t.yaml:5:9: error: missing required key 'at' in events"])
        #expect(
            errors("tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n")
                == ["t.yaml:2:5: error: missing required key 'expect' in test"])
        #expect(
            errors(
                "tests:\n  - name: a\n    start: 2026-11-02T10:00:00Z\n    customers: [u1]\n    expect: []\n")
                == [
                    "t.yaml:4:16: error: 'customers' must be a mapping of customer id to traits, found a list"
                ])
    }

    @Test("a test with errors is left out, the others load")
    func badTestLeftOut() {
        let (tests, diagnostics) = RuleTestFile.parse(
            yaml:
                "tests:\n  - name: bad\n    start: x\n    expect: []\n  - name: good\n    start: 2026-11-02T10:00:00Z\n    expect: []\n",
            file: "t.yaml")
        #expect(tests.map(\.name.value) == ["good"])
        #expect(diagnostics.count == 1)
    }

    @Test("load reads a file; files(in:) lists yaml files by name")
    func filesOnDisk() throws {
        let root = try makeFolder(["b.yaml": Self.specTests, "a.yml": "tests: []\n", "readme.md": "x"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(RuleTestFile.files(in: root) == [root + "/a.yml", root + "/b.yaml"])
        let (tests, diagnostics) = RuleTestFile.load(path: root + "/b.yaml")
        #expect(diagnostics == [])
        #expect(tests.count == 2)
        #expect(tests[0].name.location.file == root + "/b.yaml")
        let (none, missing) = RuleTestFile.load(path: root + "/nope.yaml")
        #expect(none.isEmpty)
        #expect(missing.map(\.code) == ["unreadable-file"])
    }

    @Test("time references parse relative and absolute forms and print back")
    func timeRefs() {
        #expect(TimeRef(parsing: "+1h30m") == .relative(TimeSpan(seconds: 5400)))
        #expect(TimeRef(parsing: "+0") == .relative(.zero))
        #expect(TimeRef(parsing: "-2d") == .relative(TimeSpan(seconds: -172_800)))
        #expect(
            TimeRef(parsing: "2026-11-02T10:00:00+08:00")
                == .absolute(ISO8601.parse("2026-11-02T10:00:00+08:00")!))
        #expect(TimeRef(parsing: "1h") == nil)
        #expect(TimeRef(parsing: "+") == nil)
        #expect(TimeRef(parsing: "+1x") == nil)
        #expect(TimeRef.relative(.hours(1)).description == "+1h")
        #expect(TimeRef.relative(TimeSpan(seconds: -900)).description == "-15m")
        let start = ISO8601.parse("2026-11-02T10:00:00+08:00")!
        #expect(TimeRef.relative(.hours(2)).timestamp(from: start).text == "2026-11-02T12:00:00+08:00")
    }
}
