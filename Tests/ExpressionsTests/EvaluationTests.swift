import Testing
import TouchpointCore

@testable import Expressions

@Suite("Evaluation")
struct EvaluationTests {
    @Test("the SPEC example `event.properties.price >= 10` holds for a 38.5 tea")
    func specExample() throws {
        let expression = try Expression(parsing: "event.properties.price >= 10")
        #expect(try expression.test(shopper).get() == true)
        var cheap = shopper
        cheap["event"] = ["properties": ["price": 9.99]]
        #expect(try expression.test(cheap).get() == false)
    }

    @Test(
        "literals evaluate to themselves",
        arguments: [
            ("42", JSONValue.number(42)), ("38.5", .number(38.5)), ("1e3", .number(1000)),
            ("2.5E-1", .number(0.25)),
            ("'single'", .string("single")), ("\"double\"", .string("double")), ("true", .bool(true)),
            ("false", .bool(false)), ("null", .null), ("[]", .array([])),
            ("[1, 'a', [true]]", [1, "a", [true]]),
            ("[1, 2,]", [1, 2]), ("-5", .number(-5)),
        ] as [(String, JSONValue)])
    func literals(source: String, expected: JSONValue) throws {
        #expect(try value(source) == expected)
    }

    @Test(
        "string escapes decode",
        arguments: [
            (#"'a\nb'"#, "a\nb"), (#"'a\tb'"#, "a\tb"), (#"'a\\b'"#, "a\\b"),
            (#""say \"hi\"""#, "say \"hi\""),
            (#"'it\'s'"#, "it's"), (#"'\u96f7'"#, "雷"), (#"'\U0001F375'"#, "🍵"), (#"'\uD83C\uDF75'"#, "🍵"),
            (#"'\x41'"#, "A"), (#"'\r'"#, "\r"),
        ])
    func escapes(source: String, expected: String) throws {
        #expect(try value(source) == .string(expected))
    }

    @Test("field access reads nested maps, keys with spaces and list elements")
    func fieldAccess() throws {
        #expect(try value("event.properties.sku") == "TEA-01")
        #expect(try value("customer.locale") == "zh-CN")
        #expect(try value("event.properties[\"cart id\"]") == "c-7")
        #expect(try value("event['properties']['qty']") == 2)
        #expect(try value("event.properties.tags[1]") == "gift")
        #expect(try value("event.properties.tags[0] + '!'") == "tea!")
        #expect(try value("[10, 20, 30][2]") == 30)
        #expect(try value("customer.phone") == .null)
    }

    @Test(
        "arithmetic on numbers",
        arguments: [
            ("1 + 2", 3.0), ("5 - 7", -2), ("3 * 4", 12), ("7 / 2", 3.5), ("7 % 3", 1), ("-7 % 3", -1),
            ("7.5 % 2", 1.5), ("-(2 + 3)", -5), ("--4", 4),
            ("event.properties.price * event.properties.qty", 77),
        ])
    func arithmetic(source: String, expected: Double) throws {
        #expect(try value(source) == .number(expected))
    }

    @Test("+ concatenates strings and lists")
    func concatenation() throws {
        #expect(try value("'你好' + '，' + customer.first_name") == "你好，雷")
        #expect(try value("[1] + [2, 3]") == [1, 2, 3])
        #expect(try value("event.properties.tags + ['new']") == ["tea", "gift", "new"])
    }

    @Test(
        "precedence follows CEL",
        arguments: [
            ("1 + 2 * 3", JSONValue.number(7)), ("(1 + 2) * 3", .number(9)), ("10 - 4 - 3", .number(3)),
            ("24 / 4 / 2", .number(3)), ("2 * 3 % 4", .number(2)), ("1 + 2 == 3", .bool(true)),
            ("1 < 2 == true", .bool(true)), ("true || false && false", .bool(true)),
            ("(true || false) && false", .bool(false)),
            ("!false && false", .bool(false)), ("!(false && false)", .bool(true)), ("-2 * -3", .number(6)),
            ("1 + 1 in [2]", .bool(true)), ("false ? 1 : 2 + 3", .number(5)),
            ("true ? 1 : 0 ? 2 : 3", .number(1)),
            ("false ? 1 : true ? 2 : 3", .number(2)), ("1 < 2 && 3 > 2 || false", .bool(true)),
            ("size('ab') * 2 + 1", .number(5)), ("-event.properties.qty", .number(-2)),
        ] as [(String, JSONValue)])
    func precedence(source: String, expected: JSONValue) throws {
        #expect(try value(source) == expected)
    }

    @Test(
        "comparisons on numbers, strings and bools",
        arguments: [
            ("1 < 2", true), ("2 < 1", false), ("2 <= 2", true), ("3 > 2", true), ("2 >= 3", false),
            ("'a' < 'b'", true),
            ("'apple' >= 'banana'", false), ("'雷' > 'a'", true), ("false < true", true), ("1 == 1.0", true),
            ("'a' == 'a'", true), ("'a' != 'b'", true), ("[1, 'x'] == [1, 'x']", true), ("[1] == [2]", false),
            ("null == null", true), ("customer.phone == null", true), ("customer.email != null", true),
            ("event.properties.tags == ['tea', 'gift']", true),
        ])
    func comparisons(source: String, expected: Bool) throws {
        #expect(try value(source) == .bool(expected))
    }

    @Test(
        "== between different types is false, not an error",
        arguments: [
            "1 == '1'", "null == 0", "true == 1", "[] == ''", "customer == 'u42'",
            "event.properties.price == '38.5'",
        ])
    func mixedEquality(source: String) throws {
        #expect(try value(source) == false)
        #expect(try value(source.replacing("==", with: "!=")) == true)
    }

    @Test("in tests list membership and map keys")
    func membership() throws {
        #expect(try value("'gift' in event.properties.tags") == true)
        #expect(try value("'cake' in event.properties.tags") == false)
        #expect(try value("customer.locale in ['zh-CN', 'zh-TW']") == true)
        #expect(try value("2 in [1, 2.0, 3]") == true)
        #expect(try value("'email' in customer") == true)
        #expect(try value("'fax' in customer") == false)
        #expect(try value("'phone' in customer") == true)
        #expect(try value("[1] in [[1], [2]]") == true)
    }

    @Test("size counts code points, list elements and map members")
    func size() throws {
        #expect(try value("size('')") == 0)
        #expect(try value("size('雷锋')") == 2)
        #expect(try value("size('👍🏽')") == 2)
        #expect(try value("size(event.properties.tags)") == 2)
        #expect(try value("size(customer)") == 6)
        #expect(try value("event.properties.sku.size()") == 6)
        #expect(try value("size([])") == 0)
    }

    @Test("startsWith, endsWith and contains test substrings")
    func stringMethods() throws {
        #expect(try value("event.properties.sku.startsWith('TEA')") == true)
        #expect(try value("event.properties.sku.startsWith('tea')") == false)
        #expect(try value("customer.email.endsWith('@example.com')") == true)
        #expect(try value("customer.email.endsWith('.org')") == false)
        #expect(try value("event.properties.cart_url.contains('/cart/')") == true)
        #expect(try value("event.properties.cart_url.contains('/order/')") == false)
        #expect(try value("'abc'.contains('')") == true)
        #expect(try value("''.startsWith('')") == true)
        #expect(try value("'乌龙茶礼盒'.contains('茶礼')") == true)
        #expect(try value("'乌龙茶'.startsWith('乌龙') && '乌龙茶'.endsWith('茶')") == true)
    }

    @Test("has() tests presence, as CEL does: a field holding null is present; it never fails")
    func has() throws {
        #expect(try value("has(customer.email)") == true)
        #expect(try value("has(customer.phone)") == true)
        #expect(try value("has(customer.fax)") == false)
        #expect(try value("has(event.properties.price)") == true)
        #expect(try value("has(event.properties['cart id'])") == true)
        #expect(try value("has(event.properties.coupon)") == true)
        #expect(try value("has(event.properties.coupon.code)") == false)
        #expect(try value("has(customer.email.domain)") == false)
        #expect(try value("has(shop.name)") == false)
        #expect(try value("has(customer.email) && customer.email.endsWith('.com')") == true)
        #expect(try value("has(customer.phone) && customer.phone != null") == false)
    }

    @Test("the conditional operator evaluates only the chosen branch")
    func conditional() throws {
        #expect(try value("event.properties.price > 30 ? 'big' : 'small'") == "big")
        #expect(try value("true ? 1 : 1 / 0") == 1)
        #expect(try value("false ? customer.fax : 'ok'") == "ok")
    }

    @Test("unicode strings compare by code point and concatenate")
    func unicode() throws {
        #expect(try value("customer.first_name == '雷'") == true)
        #expect(try value("customer.first_name == '\\u96f7'") == true)
        #expect(try value("'购物车' + '提醒'") == "购物车提醒")
        #expect(try value("size('购物车' + '提醒')") == 5)
        #expect(try value("'é' == 'e\\u0301'") == false)
        #expect(try value("'é' == '\\u00e9'") == true)
    }

    @Test("test() returns the bool, or an error for a non-bool result")
    func testResult() throws {
        #expect(try Expression(parsing: "has(customer.email)").test(shopper).get() == true)
        let notBool = try Expression(parsing: "event.properties.price").test(shopper)
        #expect(throws: EvaluationError("condition must be a bool, got number")) { try notBool.get() }
        let failing = try Expression(parsing: "customer.fax == 1").test(shopper)
        #expect(throws: EvaluationError("no such field 'fax' in customer")) { try failing.get() }
    }

    @Test("a parsed expression can be evaluated many times against different environments")
    func reuse() throws {
        let expression = try Expression(
            parsing: "event.properties.price >= 10 && customer.locale.startsWith('zh')")
        for price in stride(from: 0.0, through: 20, by: 1) {
            var env = shopper
            env["event"] = ["properties": ["price": .number(price)]]
            #expect(try expression.test(env).get() == (price >= 10))
        }
    }
}
