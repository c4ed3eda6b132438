import Testing
import TouchpointCore

@testable import Expressions

@Suite("Parsing")
struct ParsingTests {
    @Test(
        "parse errors carry a clear message and the offset of the offending token",
        arguments: [
            ("size(x", "expected ')' after argument list", 6),
            ("size(x y)", "expected ')' after argument list", 7),
            ("sizee(x)", "unknown function 'sizee'; did you mean 'size'?", 0),
            ("1 + hass(customer.email)", "unknown function 'hass'; did you mean 'has'?", 4),
            ("frobnicate(1)", "unknown function 'frobnicate'", 0),
            (
                "startsWith(s, 't')",
                "unknown function 'startsWith'; it is a method, called as value.startsWith(...)", 0
            ),
            ("s.startswith('a')", "unknown method 'startswith'; did you mean 'startsWith'?", 2),
            ("s.contain('a')", "unknown method 'contain'; did you mean 'contains'?", 2),
            ("'abc", "unterminated string", 0),
            ("x == \"abc", "unterminated string", 5),
            ("'ab\ncd'", "unterminated string", 0),
            ("'ab\\", "unterminated string", 0),
            ("a # b", "unexpected character '#'", 2),
            ("customer.名", "unexpected character '名'", 9),
            ("x == '雷' # y", "unexpected character '#'", 9),
            ("a = 1", "unexpected '='; did you mean '=='?", 2),
            ("a & b", "unexpected '&'; did you mean '&&'?", 2),
            ("a | b", "unexpected '|'; did you mean '||'?", 2),
            ("{'a': 1}", "map literals are not supported", 0),
            ("", "empty expression", 0),
            ("   ", "empty expression", 0),
            ("1 +", "expected an expression after '+'", 3),
            ("(1 + 2", "expected ')' to close '('", 6),
            ("1 + 2)", "unexpected ')' without a matching opening bracket", 5),
            ("[1, 2", "expected ']' after list elements", 5),
            ("x[1", "expected ']' after index", 3),
            ("a b", "unexpected 'b' after a complete expression; expected an operator", 2),
            ("event.", "expected field name after '.'", 6),
            ("event.properties.1", "expected field name after '.'", 17),
            ("* 2", "expected an expression, found '*'", 0),
            ("x in in", "expected an expression, found 'in'", 5),
            ("true ? 1", "expected ':' in conditional expression", 8),
            ("size()", "size() takes 1 argument, got 0", 0),
            ("size(1, 2)", "size() takes 1 argument, got 2", 0),
            ("s.startsWith()", "startsWith() takes 1 argument, got 0", 2),
            ("s.size(1)", "size() takes 0 arguments, got 1", 2),
            ("has(customer)", "has() needs a field selection, like has(customer.email)", 0),
            ("has(customer.tags[0])", "has() needs a field selection, like has(customer.email)", 0),
            ("has(1 + 2)", "has() needs a field selection, like has(customer.email)", 0),
            ("'\\q'", "unknown escape sequence '\\q'", 1),
            ("'a\\u12'", "escape sequence needs 4 hex digits", 2),
            ("'\\uD800'", "escape sequence is not a valid unicode scalar", 1),
            ("'\\U00110000'", "escape sequence is not a valid unicode scalar", 1),
            ("1e", "malformed number: exponent needs digits", 1),
            ("1e+", "malformed number: exponent needs digits", 1),
            ("10abc", "unexpected character 'a' in number", 2),
            ("1e999", "number '1e999' is out of range", 0),
            ("x == \u{7}", "unexpected character U+0007", 5),
        ] as [(String, String, Int)])
    func errors(source: String, message: String, offset: Int) {
        let error = parseError(source)
        #expect(error?.message == message)
        #expect(error?.offset == offset)
    }

    @Test("offsets count Unicode scalars, not bytes, UTF-16 units or Characters")
    func scalarOffsets() {
        // '雷' is 3 UTF-8 bytes and one scalar; '👍🏽' is 4 UTF-16 units, one Character and two scalars.
        #expect(parseError("'雷👍🏽' == x )")?.offset == 11)
        #expect(parseError("'雷👍🏽' == x )")?.message == "unexpected ')' without a matching opening bracket")
    }

    @Test("unknown variables are not parse errors; fieldPaths lists every path read, with offsets")
    func fieldPaths() throws {
        let e = try Expression(
            parsing:
                "has(customer.email) && event.properties[\"cart id\"] != shop.x && customer.first_name.startsWith('雷')"
        )
        #expect(
            e.fieldPaths == [
                FieldPath(components: ["customer", "email"], offset: 4),
                FieldPath(components: ["event", "properties", "cart id"], offset: 23),
                FieldPath(components: ["shop", "x"], offset: 54),
                FieldPath(components: ["customer", "first_name"], offset: 64),
            ])
        #expect(e.rootIdentifiers == ["customer", "event", "shop"])
    }

    @Test("fieldPaths stop at computed indexes and method calls, and include paths inside indexes")
    func fieldPathsPartial() throws {
        let e = try Expression(parsing: "event.properties.tags[customer.n].size() > size(x)")
        #expect(
            e.fieldPaths.map(\.components) == [
                ["event", "properties", "tags"], ["customer", "n"], ["x"],
            ])
        #expect(e.fieldPaths.map(\.offset) == [0, 22, 48])
        #expect(try Expression(parsing: "1 + 2").fieldPaths.isEmpty)
        #expect(try Expression(parsing: "l[0].name").fieldPaths.map(\.components) == [["l"]])
    }

    @Test("keywords can still be field names after a dot")
    func keywordFields() throws {
        let env: [String: JSONValue] = ["x": ["in": 1, "null": 2, "true": 3]]
        #expect(try value("x.in + x.null + x.true", env) == 6)
    }

    @Test("expressions with the same source are equal and hash alike")
    func equality() throws {
        let a = try Expression(parsing: "x > 1")
        let b = try Expression(parsing: "x > 1")
        let c = try Expression(parsing: "x >  1")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect(a.description == "x > 1")
    }

    @Test("whitespace, including newlines and ideographic spaces, separates tokens")
    func whitespace() throws {
        #expect(try value("\n1\t+\r\n2\u{3000}") == 3)
    }
}

@Suite("Limits")
struct LimitTests {
    @Test("sources over the length limit are rejected at the limit")
    func length() throws {
        let ok = String(repeating: "1+", count: 2047) + "1"
        #expect(ok.count == 4095)
        #expect(parseError(ok)?.message != "expression too long (limit 4096 characters)")
        let long = String(repeating: " ", count: 5000) + "1"
        #expect(parseError(long) == ExpressionError("expression too long (limit 4096 characters)", at: 4096))
        #expect(try Expression(parsing: String(repeating: " ", count: 4095) + "1").evaluate([:]) == 1)
    }

    @Test("deep parenthesis nesting is rejected, not a stack overflow")
    func parentheses() throws {
        let ok = String(repeating: "(", count: 63) + "1" + String(repeating: ")", count: 63)
        #expect(try value(ok) == 1)
        let deep = String(repeating: "(", count: 2000) + "1" + String(repeating: ")", count: 2000)
        let error = parseError(deep)
        #expect(error?.message == "expression nested too deeply (limit 64)")
        #expect(error?.offset == 64)
    }

    @Test(
        "long operator chains, prefix runs and member chains hit the depth limit",
        arguments: [
            String(repeating: "1 + ", count: 100) + "1",
            String(repeating: "!", count: 3000) + "true",
            String(repeating: "-", count: 3000) + "x",
            "x" + String(repeating: ".a", count: 100),
            "x" + String(repeating: "[0]", count: 100),
            String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000),
            String(repeating: "true ? 1 : ", count: 100) + "0",
            String(repeating: "size(", count: 500) + "x" + String(repeating: ")", count: 500),
            "x" + String(repeating: ".size()", count: 100),
            String(repeating: "a || ", count: 80) + "b",
        ])
    func depth(source: String) {
        #expect(parseError(source)?.message == "expression nested too deeply (limit 64)")
    }

    @Test("chains within the depth limit parse and evaluate")
    func shallowChains() throws {
        #expect(try value(String(repeating: "1 + ", count: 62) + "1") == 63)
        #expect(try value(String(repeating: "!", count: 62) + "true") == true)
        let env: [String: JSONValue] = ["x": ["a": ["a": ["a": "deep"]]]]
        #expect(try value("x.a.a.a", env) == "deep")
    }

    @Test("list literals over the element limit are rejected")
    func listElements() throws {
        let ok = "[" + Array(repeating: "1", count: 1000).joined(separator: ",") + "]"
        #expect(try value("size(\(ok))") == 1000)
        let tooMany = "[" + Array(repeating: "1", count: 1001).joined(separator: ",") + "]"
        #expect(
            parseError(tooMany)
                == ExpressionError("list literal has too many elements (limit 1000)", at: 2001))
    }

    @Test("garbage input never crashes the parser", arguments: 0..<200)
    func garbage(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let alphabet = Array("()[]{}.,?:!-+*/%=<>&|'\"\\ \n\tabcxyz019e_in雷👍🏽#$")
        let length = Int.random(in: 0...80, using: &generator)
        let source = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        if let expression = try? Expression(parsing: source) {
            _ = expression.test(shopper)
            _ = expression.test([:])
        }
    }
}
