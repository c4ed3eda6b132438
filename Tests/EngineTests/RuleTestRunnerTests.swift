import Foundation
import Rules
import Testing
import TouchpointCore

@testable import Engine

/// A throwaway project folder: config, a cart rule and a welcome rule, their templates, and one test file.
final class RuleTestProject {
    let root: String
    let testFile: String
    let testText: String

    static let rules = """
        rules:
          - name: cart-abandoned
            when: { event: Product Added }
            wait: 1h
            unless: [Order Completed]
            send: { template: cart-reminder, channels: [email, sms] }
          - name: welcome
            when: { event: Signed Up, if: customer.tier == "gold" }
            send: { template: welcome, channels: [email] }
        """

    static let templates = [
        "cart-reminder/email.mustache": """
        ---
        subject: "{{customer.first_name}}, your cart is waiting"
        ---
        <p>Still yours: <a href="{{event.properties.cart_url}}">your cart</a></p>
        """,
        "cart-reminder/sms.mustache": "Your cart is waiting: {{event.properties.cart_url}}\n",
        "welcome/email.mustache": """
        ---
        subject: Welcome aboard
        ---
        <p>Glad you are here.</p>
        """,
    ]

    /// A project whose `rules/tests/cart.yaml` holds `tests` (the text under `tests:`).
    init(tests: String) throws {
        root = NSTemporaryDirectory() + "touchpoint-ruletest-" + UUID().uuidString
        testFile = root + "/rules/tests/cart.yaml"
        testText = "tests:\n" + tests
        var files = [
            "touchpoint.yaml": "rules: rules\ntemplates: templates\ndefault-timezone: UTC\n",
            "rules/cart.yaml": Self.rules,
            "rules/tests/cart.yaml": testText,
        ]
        for (path, text) in Self.templates { files["templates/" + path] = text }
        for (relative, text) in files {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var project: Project {
        Project.load(configPath: root + "/touchpoint.yaml", environment: [:])
    }

    /// Loads the project, runs its test file and returns the report.
    func run() throws -> RuleTestReport {
        let project = self.project
        #expect(!project.hasErrors, "\(project.diagnostics)")
        return RuleTestRunner(project: project).run(files: [testFile])
    }

    /// Runs the single test of the file.
    func only() throws -> RuleTestResult {
        let report = try run()
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        return try #require(report.results.first)
    }

    /// `path:N` of the first line of the test file containing `marker`.
    func place(_ marker: String) -> String {
        let lines = testText.split(separator: "\n", omittingEmptySubsequences: false)
        let index = lines.firstIndex { $0.contains(marker) } ?? -1
        return "\(testFile):\(index + 1)"
    }
}

/// A customer in Shanghai who adds a cart at 10:00 local: the reminder is due at 11:00.
let cartEvents = """
        start: 2026-11-02T10:00:00+08:00
        customers:
          u1: { email: li@example.com, first_name: Li, timezone: Asia/Shanghai }
        events:
          - { at: +0m, customer: u1, event: Product Added, properties: { cart_url: "https://s/1" } }

    """

@Suite("touchpoint test")
struct RuleTestRunnerTests {
    @Test("a test whose expectation matches the one message that fired passes")
    func passing() throws {
        let p = try RuleTestProject(
            tests: "  - name: reminder an hour later\n" + cartEvents + """
                    expect:
                      - { rule: cart-abandoned, customer: u1, channel: email, send_at: +1h, text: "your cart is waiting" }
                """)
        let result = try p.only()
        #expect(result.passed, "\(result.differences)")
        #expect(result.textLines == ["ok   reminder an hour later"])
    }

    @Test("a rule test sees the fallback: no first_name for the email subject, so the reminder goes by SMS")
    func missingVariableFallsBack() throws {
        let p = try RuleTestProject(
            tests: """
                  - name: no first name, so SMS
                    start: 2026-11-02T10:00:00+08:00
                    customers:
                      u1: { email: li@example.com, phone: "+8613800138000", timezone: Asia/Shanghai }
                    events:
                      - { at: +0m, customer: u1, event: Product Added, properties: { cart_url: "https://s/1" } }
                    expect:
                      - { rule: cart-abandoned, customer: u1, channel: sms, send_at: +1h, text: "Your cart is waiting" }
                """)
        let result = try p.only()
        #expect(result.passed, "\(result.differences)")
        let sent = try #require(result.records.first { $0.decision == .send })
        #expect(sent.why["render_fallback"]?["from"] == "email")
    }

    @Test("a cancelled message fires nothing, so expect: [] passes though a suppressed record exists")
    func cancelledWithEmptyExpectation() throws {
        let p = try RuleTestProject(
            tests: "  - name: ordering cancels\n" + cartEvents + """
                      - { at: +30m, customer: u1, event: Order Completed }
                    expect: []
                """)
        let result = try p.only()
        #expect(result.passed, "\(result.differences)")
        #expect(result.records.contains { $0.decision == .suppressed && $0.reason == .cancelled })
    }

    @Test("a wrong send_at prints only that field, at the expectation's path:line, in the customer's zone")
    func onlyTheDifferingField() throws {
        let p = try RuleTestProject(
            tests: "  - name: wrong hour\n" + cartEvents + """
                    expect:
                      - { rule: cart-abandoned, customer: u1, channel: email, send_at: +2h, text: "your cart" }
                """)
        let result = try p.only()
        #expect(!result.passed)
        #expect(
            result.textLines == [
                "FAIL wrong hour",
                "  \(p.place("send_at: +2h")): expected send_at 2026-11-02T12:00:00+08:00, got 2026-11-02T11:00:00+08:00 "
                    + "(rule cart-abandoned, customer u1)",
            ])
        #expect(result.differences.first?.field == "send_at")
    }

    @Test(
        "an expected message that did not fire is reported as missing, with the suppression that stopped it")
    func missingMessage() throws {
        let p = try RuleTestProject(
            tests: "  - name: expects a cancelled reminder\n" + cartEvents + """
                      - { at: +30m, customer: u1, event: Order Completed }
                    expect:
                      - { rule: cart-abandoned, customer: u1, channel: email }
                """)
        let result = try p.only()
        #expect(
            result.differences.map(\.description) == [
                "\(p.place("channel: email }")): expected a message (rule cart-abandoned, customer u1, channel email) "
                    + "— none fired; one was suppressed: cancelled (cancelled by Order Completed)"
            ])
        #expect(result.differences.first?.kind == .missing)
    }

    @Test("a message nobody expected is reported at the test's line, with its time in the customer's zone")
    func unexpectedMessage() throws {
        let p = try RuleTestProject(tests: "  - name: expects nothing\n" + cartEvents + "    expect: []\n")
        let result = try p.only()
        #expect(
            result.differences.map(\.description) == [
                "\(p.place("name: expects nothing")): unexpected message: rule cart-abandoned, customer u1, "
                    + "channel email at 2026-11-02T11:00:00+08:00"
            ])
    }

    @Test("rules: compares only the named rules' messages; without it every rule's message counts")
    func rulesFilter() throws {
        let body = """
                start: 2026-11-02T10:00:00Z
                customers:
                  u1: { email: li@example.com, first_name: Li, tier: gold }
                events:
                  - { at: +0m, customer: u1, event: Signed Up }
                  - { at: +0m, customer: u1, event: Product Added, properties: { cart_url: "https://s/1" } }

            """
        let p = try RuleTestProject(
            tests: "  - name: filtered\n" + body + """
                    rules: [cart-abandoned]
                    expect:
                      - { rule: cart-abandoned, send_at: +1h }
                  - name: unfiltered
                """ + "\n" + body + """
                        expect:
                          - { rule: cart-abandoned, send_at: +1h }
                    """)
        let report = try p.run()
        #expect(report.results.map(\.passed) == [true, false])
        #expect(
            report.results.last?.differences.map(\.message) == [
                "unexpected message: rule welcome, customer u1, channel email at 2026-11-02T10:00:00Z"
            ])
        #expect(report.summary == "1 passed, 1 failed")
        #expect(report.isFailure)
    }

    @Test("an unknown rule in rules: is an error naming it, with a did-you-mean, at its line and column")
    func unknownRuleInFilter() throws {
        let p = try RuleTestProject(
            tests: "  - name: typo\n" + cartEvents + """
                    rules: [cart-abandond]
                    expect: []
                """)
        let result = try p.only()
        let error = try #require(result.differences.first)
        #expect(error.kind == .error)
        #expect(
            error.description
                == "\(p.place("cart-abandond")):13: error: unknown rule 'cart-abandond' in rules; "
                + "did you mean 'cart-abandoned'?")
    }

    @Test(
        "an expectation naming a rule the filter leaves out, or a customer the test never mentions, is an error"
    )
    func impossibleExpectations() throws {
        let p = try RuleTestProject(
            tests: "  - name: impossible\n" + cartEvents + """
                    rules: [cart-abandoned]
                    expect:
                      - { rule: cart-abandoned, customer: u1 }
                      - { rule: welcome }
                      - { rule: cart-abandoned, customer: u2 }
                """)
        let result = try p.only()
        #expect(result.differences.map(\.kind) == [.error, .error])
        #expect(result.differences[0].message.contains("rule 'welcome', which the test's rules: leaves out"))
        #expect(result.differences[1].message.contains("customer 'u2'"))
        #expect(result.differences[1].message.contains("did you mean 'u1'?"))
    }

    @Test("relative and absolute times name the same instant, whatever offset the absolute one is written in")
    func relativeAndAbsoluteTimes() throws {
        let p = try RuleTestProject(
            tests: """
                  - name: absolute times
                    start: 2026-11-02T10:00:00+08:00
                    customers:
                      u1: { email: li@example.com, first_name: Li, timezone: Asia/Shanghai }
                    events:
                      - { at: 2026-11-02T02:30:00Z, customer: u1, event: Product Added, properties: { cart_url: "https://s/1" } }
                    expect:
                      - { rule: cart-abandoned, send_at: 2026-11-02T03:30:00Z }
                  - name: relative times
                """ + "\n" + cartEvents + """
                        expect:
                          - { rule: cart-abandoned, send_at: 2026-11-02T04:00:00+01:00 }
                    """)
        let report = try p.run()
        #expect(report.results.map(\.passed) == [true, true], "\(report.results.map(\.differences))")
    }

    @Test("text matches a fragment of the subject or the HTML, and a miss shows what was rendered")
    func textFragments() throws {
        let p = try RuleTestProject(
            tests: "  - name: subject\n" + cartEvents + """
                    expect: [{ rule: cart-abandoned, text: "Li, your cart" }]
                  - name: html
                """ + "\n" + cartEvents + """
                        expect: [{ rule: cart-abandoned, text: "href=\\"https://s/1\\"" }]
                      - name: absent
                    """ + "\n" + cartEvents + """
                        expect: [{ rule: cart-abandoned, text: "购物车" }]
                    """)
        let report = try p.run()
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.results.map(\.passed) == [true, true, false])
        let d = try #require(report.results.last?.differences.first)
        #expect(d.field == "text")
        #expect(d.expected == "containing \"购物车\"")
        #expect(
            d.actual == "subject \"Li, your cart is waiting\", text \"Still yours: your cart (https://s/1)\"")
    }

    @Test("until stops the clock: a message due later does not fire, and a miss says it comes later")
    func untilStopsTheClock() throws {
        let p = try RuleTestProject(
            tests: "  - name: stopped early\n" + cartEvents + """
                    until: +30m
                    expect: []
                  - name: expects it anyway
                """ + "\n" + cartEvents + """
                        until: +30m
                        expect: [{ rule: cart-abandoned }]
                    """)
        let report = try p.run()
        #expect(report.results.map(\.passed) == [true, false])
        #expect(
            report.results.last?.differences.first?.message
                == "expected a message (rule cart-abandoned) — none fired by until 2026-11-02T10:30:00+08:00 "
                + "(one comes later, at 2026-11-02T11:00:00+08:00)")
    }

    @Test("events after until are not replayed")
    func eventsAfterUntil() throws {
        let p = try RuleTestProject(
            tests: "  - name: late order\n" + cartEvents + """
                      - { at: +3h, customer: u1, event: Product Added, properties: { cart_url: "https://s/2" } }
                    until: +2h
                    expect: [{ rule: cart-abandoned, send_at: +1h }]
                """)
        #expect(try p.only().passed)
    }

    @Test("asking for a suppressed decision brings every suppressed record of the test into the comparison")
    func suppressedTakePartWhenAsked() throws {
        let p = try RuleTestProject(
            tests: "  - name: pins the cancellation\n" + cartEvents + """
                      - { at: +30m, customer: u1, event: Order Completed }
                    expect: [{ rule: cart-abandoned, decision: suppressed, reason: cancelled }]
                  - name: wrong reason
                """ + "\n" + cartEvents + """
                          - { at: +30m, customer: u1, event: Order Completed }
                        expect: [{ rule: cart-abandoned, reason: quiet-hours }]
                      - name: expected suppressed but it was sent
                    """ + "\n" + cartEvents + """
                        expect: [{ rule: cart-abandoned, decision: suppressed }]
                    """)
        let report = try p.run()
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.results.map(\.passed) == [true, false, false])
        #expect(
            report.results[1].differences.map(\.message) == [
                "expected reason quiet-hours, got cancelled (rule cart-abandoned, customer u1)"
            ])
        #expect(
            report.results[2].differences.map(\.message) == [
                "expected decision suppressed, got send (rule cart-abandoned, customer u1)"
            ])
    }

    @Test("matching is one to one and optimal: a vague expectation does not steal the exact one's message")
    func optimalOneToOne() throws {
        let p = try RuleTestProject(
            tests: "  - name: two carts\n" + cartEvents + """
                      - { at: +2h, customer: u1, event: Product Added, properties: { cart_url: "https://s/2" } }
                    expect:
                      - { rule: cart-abandoned }
                      - { rule: cart-abandoned, send_at: +1h }
                  - name: one cart, two expectations
                """ + "\n" + cartEvents + """
                        expect:
                          - { rule: cart-abandoned }
                          - { rule: cart-abandoned }
                    """)
        let report = try p.run()
        #expect(report.results[0].passed, "\(report.results[0].differences)")
        #expect(report.results[1].differences.map(\.kind) == [.missing])
    }

    @Test("customers are known before the first event, even one earlier than start")
    func customersBeforeEarlyEvents() throws {
        let p = try RuleTestProject(
            tests: """
                  - name: gold welcome
                    start: 2026-11-02T10:00:00Z
                    customers:
                      u1: { email: li@example.com, tier: gold }
                    events:
                      - { at: -1h, customer: u1, event: Signed Up }
                    expect: [{ rule: welcome, customer: u1, send_at: -1h }]
                """)
        #expect(try p.only().passed)
    }

    @Test("an identify event changes the profile mid-test; the miss names the suppression it caused")
    func identifyEvents() throws {
        let p = try RuleTestProject(
            tests: "  - name: address removed\n" + cartEvents + """
                      - { at: +30m, customer: u1, identify: { email: null } }
                    expect: [{ rule: cart-abandoned, customer: u1 }]
                """)
        let result = try p.only()
        #expect(result.differences.count == 1)
        #expect(
            result.differences.first?.message.hasSuffix(
                "— none fired; one was suppressed: no-reachable-channel")
                == true, "\(result.differences)")
    }

    @Test("a test file with an error is reported as path:line:col and makes the run fail")
    func fileDiagnostics() throws {
        let p = try RuleTestProject(tests: "  - name: typo\n" + cartEvents + "    expekt: []\n")
        let report = try p.run()
        #expect(report.results.isEmpty)
        #expect(report.isFailure)
        #expect(report.diagnostics.first?.description.hasPrefix("\(p.place("expekt")):5: error: ") == true)
    }

    @Test("the JSON line carries name, file, line, ok and each difference's fields")
    func jsonLine() throws {
        let p = try RuleTestProject(
            tests: "  - name: wrong hour\n" + cartEvents
                + "    expect: [{ rule: cart-abandoned, send_at: +2h }]\n")
        let json = try p.only().jsonLine
        let line = p.place("name: wrong hour").split(separator: ":").last!
        let expectLine = p.place("send_at: +2h").split(separator: ":").last!
        #expect(
            json
                == "{\"name\":\"wrong hour\",\"file\":\"\(p.testFile)\",\"line\":\(line),\"ok\":false,\"differences\":["
                + "{\"kind\":\"field\",\"file\":\"\(p.testFile)\",\"line\":\(expectLine),\"column\":null,"
                + "\"field\":\"send_at\",\"expected\":\"2026-11-02T12:00:00+08:00\",\"actual\":\"2026-11-02T11:00:00+08:00\","
                + "\"message\":\"expected send_at 2026-11-02T12:00:00+08:00, got 2026-11-02T11:00:00+08:00 "
                + "(rule cart-abandoned, customer u1)\"}]}")
    }

    @Test("the assignment maximises total weight where greedy would not")
    func hungarianBeatsGreedy() {
        // Row 0 takes column 0 greedily (5 > 4), leaving row 1 nothing; the optimum crosses over.
        let weight = [[5, 4], [3, 0]]
        #expect(RuleTestRunner.hungarian(weight, size: 2) == [1, 0])
        #expect(RuleTestRunner.greedy(weight) == [0, nil])
        // Rectangular: more columns than rows, and more rows than columns.
        #expect(RuleTestRunner.hungarian([[0, 0, 7]], size: 3) == [2])
        #expect(RuleTestRunner.hungarian([[1], [9], [2]], size: 3) == [nil, 0, nil])
    }
}
