import Events
import Expressions
import TouchpointCore

/// The environment every parsed expression is evaluated against: a real `Product Added` event from
/// the example stream and a customer built by replaying a real `identify`, so that field paths the
/// fuzzer finds in the seeds (`event.properties.price`, `customer.locale`) resolve to values of
/// every JSON type rather than all failing with "no such field".
let environment: [String: JSONValue] = {
    let decoder = EventDecoder()
    let identify = #"""
        {"type":"identify","userId":"u42","timestamp":"2026-10-01T09:00:00+08:00","traits":{"email":"li@example.com","phone":"+8613800138000","first_name":"雷","timezone":"Asia/Shanghai","locale":"zh-CN","vip":true,"orders":3,"tags":["a","b"],"address":{"city":"Shanghai","zip":null}}}
        """#
    let added = #"""
        {"type":"track","userId":"u42","event":"Product Added","timestamp":"2026-10-01T10:00:00Z","messageId":"m1","properties":{"cart_id":"c1","product":"Tea","price":12.5,"quantity":2,"tags":["green","loose"],"gift":false,"coupon":null,"meta":{"source":"ad","score":-1e300}}}
        """#
    var customer = Customer(id: "u42")
    if case .success(let event)? = decoder.decode(line: identify, file: "env", lineNumber: 1) {
        _ = customer.apply(event)
    }
    var env: [String: JSONValue] = ["customer": customer.contextValue]
    if case .success(let event)? = decoder.decode(line: added, file: "env", lineNumber: 2) {
        env["event"] = event.contextValue
    }
    return env
}()

/// libFuzzer entry point: the bytes as UTF-8 source, parsed, then evaluated and tested as a condition.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let source = String(validating: bytes, as: UTF8.self) else { return -1 }
    guard let expression = try? Expression(parsing: source) else { return 0 }
    _ = try? expression.evaluate(environment)
    _ = expression.test(environment)
    _ = expression.rootIdentifiers
    return 0
}
