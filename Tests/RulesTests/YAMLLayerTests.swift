import Expressions
import Testing
import TouchpointCore

@testable import Rules

@Suite("YAML layer")
struct YAMLLayerTests {
    private func condition(_ yaml: String) throws -> Located<String> {
        let (set, errors) = parseRules(yaml)
        #expect(errors == [])
        guard case .event(_, let condition?) = try #require(set.rules.first).trigger else {
            throw CancellationError()
        }
        return condition
    }

    @Test("a single-quoted expression starts after the quote; escapes make it non-verbatim")
    func singleQuoted() throws {
        let plain = try condition(
            "rules:\n  - name: a\n    when: {event: X, if: 'a == \"b\"'}\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(plain.style == .singleQuoted)
        #expect(plain.location == SourceLocation(file: "r.yaml", line: 3, column: 27))
        #expect(plain.isVerbatim)
        #expect(plain.location(atScalarOffset: 5) == SourceLocation(file: "r.yaml", line: 3, column: 32))
        let escaped = try condition(
            "rules:\n  - name: a\n    when: {event: X, if: 'it''s'}\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(escaped.value == "it's")
        #expect(!escaped.isVerbatim)
        // The 's' after the doubled quote is one column further on than its offset.
        #expect(escaped.location(atScalarOffset: 3) == SourceLocation(file: "r.yaml", line: 3, column: 31))
    }

    @Test("a double-quoted expression with an escape is not verbatim")
    func doubleQuotedEscape() throws {
        let c = try condition(
            "rules:\n  - name: a\n    when: {event: X, if: \"a == \\\"b\\\"\"}\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(c.value == "a == \"b\"")
        #expect(c.style == .doubleQuoted)
        #expect(!c.isVerbatim)
    }

    @Test("a literal block maps offsets line by line at the block's indentation")
    func literalBlock() throws {
        let c = try condition(
            """
            rules:
              - name: a
                when:
                  event: X
                  if: |
                    a > 1 &&
                      b == 2
                send: {template: t, channels: [sms]}
            """)
        #expect(c.style == .literal)
        #expect(c.value == "a > 1 &&\n  b == 2\n")
        #expect(c.location == SourceLocation(file: "r.yaml", line: 6, column: 9))
        #expect(c.isVerbatim)
        // "b" is the 12th scalar: line 7, after two extra spaces.
        #expect(c.location(atScalarOffset: 11) == SourceLocation(file: "r.yaml", line: 7, column: 11))
    }

    @Test("a folded multi-line expression is not verbatim, but an offset on its second line maps there")
    func foldedBlock() throws {
        let c = try condition(
            "rules:\n  - name: a\n    when:\n      event: X\n      if: >\n        a > 1 &&\n        b\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(c.style == .folded)
        #expect(c.value == "a > 1 && b\n")
        #expect(!c.isVerbatim)
        #expect(c.location(atScalarOffset: 0) == SourceLocation(file: "r.yaml", line: 6, column: 9))
        #expect(c.location(atScalarOffset: 9) == SourceLocation(file: "r.yaml", line: 7, column: 9))
    }

    /// The place `Expression` reports for `yaml`'s `if:` (which must fail to parse).
    private func errorPlace(_ yaml: String) throws -> TouchpointCore.SourceLocation {
        let c = try condition(yaml)
        do {
            _ = try Expression(parsing: c.value)
            Issue.record("\(c.value.debugDescription) parsed")
            return c.location
        } catch {
            return c.location(atScalarOffset: error.offset)
        }
    }

    @Test("an expression error inside an escaped, quoted or folded scalar points at the character (issue 16)")
    func errorsPointIntoScalars() throws {
        func rule(_ condition: String) -> String {
            "rules:\n  - name: a\n    when:\n      event: X\n      if: \(condition)\n    send: {template: t, channels: [sms]}\n"
        }
        // Double quotes with a \t escape: '@' is at column 34 of line 5, not 33 as the value's offset says.
        #expect(
            try errorPlace(rule("\"event.name ==\\t'x' && @\""))
                == SourceLocation(file: "r.yaml", line: 5, column: 34))
        // Single quotes with doubled quotes.
        #expect(
            try errorPlace(rule("'event.name == ''x'' && @'"))
                == SourceLocation(file: "r.yaml", line: 5, column: 35))
        // A two-line folded block.
        #expect(
            try errorPlace(rule(">\n        event.name == 'x' &&\n          @"))
                == SourceLocation(file: "r.yaml", line: 7, column: 11))
        // A two-line plain scalar.
        #expect(
            try errorPlace(rule("event.name == 'x' &&\n        @"))
                == SourceLocation(file: "r.yaml", line: 6, column: 9))
        // A \u escape and a raw multi-scalar character before the error.
        #expect(
            try errorPlace(rule("\"'\\u00e9e\u{301}' == x @\""))
                == SourceLocation(file: "r.yaml", line: 5, column: 28))
    }

    @Test("UTF-8 offsets count bytes, columns count characters")
    func utf8Offsets() throws {
        let c = try condition(
            "rules:\n  - name: a\n    when: {event: X, if: \"雷 == x\"}\n    send: {template: t, channels: [sms]}\n"
        )
        #expect(c.isVerbatim)
        // "雷" is 3 bytes but one column.
        #expect(c.location(atUTF8Offset: 4) == SourceLocation(file: "r.yaml", line: 3, column: 29))
    }

    @Test("YAML scalars become JSON by the 1.2 core schema")
    func jsonConversion() throws {
        let json = try #require(
            JSONValue(
                yaml: """
                    int: 42
                    neg: -7
                    hex: 0x1F
                    float: 38.5
                    exp: 1e3
                    yes: yes
                    on: on
                    t: true
                    f: False
                    n: null
                    tilde: ~
                    empty:
                    quoted: "42"
                    time: 2026-11-02T10:00:00+08:00
                    clock: 10:30
                    list: [1, a, {b: c}]
                    nested: { x: { y: [] } }
                    """))
        #expect(json["int"] == 42)
        #expect(json["neg"] == -7)
        #expect(json["hex"] == 31)
        #expect(json["float"] == 38.5)
        #expect(json["exp"] == 1000)
        #expect(json["yes"] == "yes")
        #expect(json["on"] == "on")
        #expect(json["t"] == true)
        #expect(json["f"] == false)
        #expect(json["n"] == .null)
        #expect(json["tilde"] == .null)
        #expect(json["empty"] == .null)
        #expect(json["quoted"] == "42")
        #expect(json["time"] == "2026-11-02T10:00:00+08:00")
        #expect(json["clock"] == "10:30")
        #expect(json["list"] == [1, "a", ["b": "c"]])
        #expect(json["nested"] == ["x": ["y": []]])
    }

    @Test("a non-scalar key cannot become JSON")
    func jsonBadKey() {
        #expect(JSONValue(yaml: "? [a]\n: 1\n") == nil)
        #expect(JSONValue(yaml: "a: [") == nil)
    }

    @Test("a duplicate key is found on the repeat, also when quoted")
    func findRepeat() {
        let lines: [Substring] = ["a: 1", "b:", "  \"a\": 2"]
        #expect(YAMLSource.findRepeat(of: "a", after: (1, 1), in: lines)! == (3, 3))
        #expect(YAMLSource.findRepeat(of: "zz", after: (1, 1), in: lines) == nil)
    }

    @Test("Located keeps value, place and style through map")
    func locatedMap() {
        let at = SourceLocation(file: "f", line: 2, column: 3)
        let l = Located("email", at: at, style: .plain, isVerbatim: true).map { Channel(rawValue: $0)! }
        #expect(l.value == .email)
        #expect(l.location == at)
        #expect(l.style == .plain && l.isVerbatim)
        #expect(l.description == "email")
    }
}
