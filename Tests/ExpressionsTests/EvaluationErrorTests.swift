import Testing
import TouchpointCore

@testable import Expressions

@Suite("Evaluation errors")
struct EvaluationErrorTests {
    @Test(
        "missing fields and variables name the path",
        arguments: [
            ("event.properties.discount > 1", "no such field 'discount' in event.properties"),
            ("customer.fax", "no such field 'fax' in customer"),
            ("event.properties['cart_id']", "no such key 'cart_id' in event.properties"),
            ("evnt.name", "unknown variable 'evnt'; did you mean 'event'?"),
            ("shop", "unknown variable 'shop'"),
            ("customer.phone.country", "cannot select field 'country' from customer.phone, which is null"),
            ("customer.email.domain", "cannot select field 'domain' from customer.email, which is a string"),
            ("[1, 2].x", "cannot select field 'x' from a list"),
            ("event.properties.tags[2]", "index 2 out of range for event.properties.tags (size 2)"),
            ("event.properties.tags[-1]", "index -1 out of range for event.properties.tags (size 2)"),
            ("event.properties.tags[0.5]", "list index must be a whole number, got 0.5"),
            ("event.properties.tags['a']", "list index must be a number, got string"),
            ("customer[1]", "map key must be a string, got number"),
            ("customer.email[0]", "cannot index customer.email, which is a string"),
        ])
    func missing(source: String, message: String) throws {
        #expect(try evaluationError(source) == message)
    }

    @Test(
        "wrong operand types are errors",
        arguments: [
            ("'a' < 1", "cannot compare string and number"),
            ("null < 1", "cannot compare null and number"),
            ("[1] < [2]", "cannot compare list and list"),
            ("event.properties.sku > 10", "cannot compare string and number"),
            ("'a' + 1", "cannot apply '+' to string and number"),
            ("'a' - 'b'", "cannot apply '-' to string and string"),
            ("[1] * 2", "cannot apply '*' to list and number"),
            ("null + 1", "cannot apply '+' to null and number"),
            ("!1", "'!' needs a bool, got number"),
            ("-'a'", "'-' needs a number, got string"),
            ("size(1)", "size() needs a string, list or map, got number"),
            ("size(null)", "size() needs a string, list or map, got null"),
            ("customer.phone.startsWith('+86')", "startsWith() needs a string receiver, got null"),
            ("'abc'.endsWith(1)", "endsWith() needs a string argument, got number"),
            ("event.properties.tags.contains('tea')", "contains() needs a string receiver, got list"),
            (
                "'a' in 'abc'",
                "'in' needs a list or map on the right, got string; use s.contains(t) for substrings"
            ),
            ("1 in 1", "'in' needs a list or map on the right, got number"),
            ("1 in customer", "'in' on a map needs a string key, got number"),
            ("1 ? 2 : 3", "condition of '?:' must be a bool, got number"),
            ("1 && true", "'&&' needs bool operands, got number"),
            ("true && 'yes'", "'&&' needs bool operands, got string"),
            ("false || 0", "'||' needs bool operands, got number"),
        ])
    func types(source: String, message: String) throws {
        #expect(try evaluationError(source) == message)
    }

    @Test(
        "division and modulus by zero are errors",
        arguments: [
            ("1 / 0", "division by zero"), ("0 / 0", "division by zero"), ("1 % 0", "modulus by zero"),
            ("event.properties.price / (event.properties.qty - 2)", "division by zero"),
        ])
    func divideByZero(source: String, message: String) throws {
        #expect(try evaluationError(source) == message)
    }

    @Test(
        "results that would be infinite or NaN are errors, so NaN never leaks",
        arguments: [
            "1e308 * 10", "-1e308 - 1e308", "1e308 + 1e308", "1e-308 / 1e308 * 0 + 1e308 * 1e308",
        ])
    func overflow(source: String) throws {
        #expect(try evaluationError(source)?.hasPrefix("numeric overflow") == true)
    }

    @Test("a NaN already in the environment compares unequal and never propagates through arithmetic")
    func nanInEnvironment() throws {
        let env: [String: JSONValue] = ["x": .number(.nan)]
        #expect(try value("x == x", env) == false)
        #expect(try evaluationError("x + 1", env) == "numeric overflow in '+'")
    }

    @Test("string concatenation is capped at 64 KiB")
    func stringCap() throws {
        let big = String(repeating: "a", count: Expression.maximumStringBytes - 1)
        let env: [String: JSONValue] = ["s": .string(big)]
        #expect(try value("size(s + 'b')", env) == .number(Double(Expression.maximumStringBytes)))
        #expect(try evaluationError("s + 'bc'", env) == "string result too long (limit 65536 bytes)")
        let seedEnv: [String: JSONValue] = ["s": .string(String(repeating: "x", count: 4096))]
        let source = "s + s + s + s + s + s + s + s + s + s + s + s + s + s + s + s + s"
        #expect(try evaluationError(source, seedEnv) == "string result too long (limit 65536 bytes)")
    }

    @Test("list concatenation is capped")
    func listCap() throws {
        let env: [String: JSONValue] = ["l": .array(Array(repeating: 1, count: 30_000))]
        #expect(try evaluationError("l + l + l", env) == "list result too long (limit 65536 elements)")
        #expect(try value("size(l + l)", env) == 60_000)
    }

    @Test(
        "&& and || absorb an error on either side when the other side decides",
        arguments: [
            ("false && customer.fax == 1", false), ("customer.fax == 1 && false", false),
            ("true || customer.fax == 1", true), ("customer.fax == 1 || true", true),
            ("false && 1 / 0 > 0", false), ("1 / 0 > 0 || true", true), ("'x' && false", false),
            ("1 || true", true), ("has(customer.fax) && customer.fax.startsWith('+')", false),
        ])
    func absorption(source: String, expected: Bool) throws {
        #expect(try value(source) == .bool(expected))
    }

    @Test(
        "&& and || report the error when the other side does not decide",
        arguments: [
            ("true && customer.fax == 1", "no such field 'fax' in customer"),
            ("customer.fax == 1 && true", "no such field 'fax' in customer"),
            ("false || customer.fax == 1", "no such field 'fax' in customer"),
            ("customer.fax == 1 || false", "no such field 'fax' in customer"),
            ("customer.fax == 1 || 1 / 0 > 1", "no such field 'fax' in customer"),
            ("customer.fax == 1 && 1 / 0 > 1", "no such field 'fax' in customer"),
        ])
    func unabsorbed(source: String, message: String) throws {
        #expect(try evaluationError(source) == message)
    }

    @Test("errors inside list literals and function arguments propagate")
    func nestedErrors() throws {
        #expect(try evaluationError("[1, customer.fax]") == "no such field 'fax' in customer")
        #expect(try evaluationError("size(customer.fax)") == "no such field 'fax' in customer")
        #expect(try evaluationError("'a'.startsWith(customer.fax)") == "no such field 'fax' in customer")
        #expect(try evaluationError("customer.fax ? 1 : 2") == "no such field 'fax' in customer")
    }
}
