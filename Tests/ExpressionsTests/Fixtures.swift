import TouchpointCore

@testable import Expressions

/// The environment the engine builds for a `Product Added` event from SPEC §1.
let shopper: [String: JSONValue] = [
    "event": [
        "name": "Product Added",
        "timestamp": "2026-11-20T10:00:00+08:00",
        "properties": [
            "sku": "TEA-01",
            "price": 38.5,
            "qty": 2,
            "cart_url": "https://shop.example/cart/42",
            "tags": ["tea", "gift"],
            "cart id": "c-7",
            "coupon": nil,
        ],
        "message_id": "e-1001",
    ],
    "customer": [
        "id": "u42",
        "email": "li@example.com",
        "first_name": "雷",
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "phone": nil,
    ],
]

/// Parses and evaluates `source`, failing the test on a parse error.
func value(_ source: String, _ env: [String: JSONValue] = shopper) throws -> JSONValue {
    try Expression(parsing: source).evaluate(env)
}

/// The evaluation error message for `source`, or `nil` when it evaluates.
func evaluationError(_ source: String, _ env: [String: JSONValue] = shopper) throws -> String? {
    let expression = try Expression(parsing: source)
    do {
        _ = try expression.evaluate(env)
        return nil
    } catch {
        return error.message
    }
}

/// The parse error for `source`, or `nil` when it parses.
func parseError(_ source: String) -> ExpressionError? {
    do {
        _ = try Expression(parsing: source)
        return nil
    } catch {
        return error
    }
}
