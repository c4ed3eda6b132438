import Testing
import TouchpointCore

@testable import Rules

/// Inputs that once hung or crashed the YAML loaders (see Fuzz/README.md); each must now end in a
/// diagnostic. The tests only check the outcome: a regression shows up as a test run that never ends.
@Suite("Fuzz regressions: YAML loaders")
struct RulesFuzzRegressionTests {
    /// Nine levels of ten aliases each: 10⁹ values once expanded, in 400 bytes.
    static func aliasBomb(levels: Int = 9) -> String {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<levels {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        return yaml
    }

    @Test("an alias bomb in a test event's properties is refused instead of expanded")
    func aliasBombInTestProperties() throws {
        let yaml =
            Self.aliasBomb() + """
                tests:
                  - name: bomb
                    start: 2026-11-02T10:00:00+08:00
                    customers: { u1: { email: a@example.com } }
                    events:
                      - { at: +0m, customer: u1, event: X, properties: { p: *a8 } }
                    expect: []
                """
        let (tests, diagnostics) = RuleTestFile.parse(yaml: yaml, file: "rules/tests/bomb.yaml")
        #expect(tests.isEmpty)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.code == "yaml-alias-expansion")
        #expect(diagnostic.location?.file == "rules/tests/bomb.yaml")
        // Refused where the running total first passes the limit: `a5`, ten copies of 10⁴ values.
        #expect(diagnostic.location?.line == 5)
    }

    @Test("an alias bomb used as a mapping key is refused before Yams hashes the key")
    func aliasBombAsKey() {
        let yaml = Self.aliasBomb() + "rules: { *a8: 1 }\n"
        let (rules, diagnostics) = RuleSet.parse(yaml: yaml, file: "rules/bomb.yaml")
        #expect(rules.rules.isEmpty)
        #expect(diagnostics.map(\.code) == ["yaml-alias-expansion"])
    }

    @Test("an alias bomb in a config file is refused")
    func aliasBombInConfig() {
        let yaml = Self.aliasBomb() + "quiet_hours: *a8\n"
        let (_, diagnostics) = Config.parse(yaml: yaml, path: "touchpoint.yaml")
        #expect(diagnostics.map(\.code) == ["yaml-alias-expansion"])
    }

    @Test("modest anchors and aliases still load")
    func modestAliasesStillWork() throws {
        let yaml =
            Self.aliasBomb(levels: 3) + """
                tests:
                  - name: reuse
                    start: 2026-11-02T10:00:00+08:00
                    customers: { u1: &who { email: a@example.com } , u2: *who }
                    events:
                      - { at: +0m, customer: u1, event: X, properties: { p: *a2 } }
                    expect: []
                """
        let (tests, diagnostics) = RuleTestFile.parse(yaml: yaml, file: "t.yaml")
        #expect(diagnostics.allSatisfy { $0.code != "yaml-alias-expansion" })
        let test = try #require(tests.first)
        #expect(test.customers.count == 2)
        #expect(test.events.first?.properties["p"]?.arrayValue?.count == 10)
    }
}
