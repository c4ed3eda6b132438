import Foundation

/// A value several threads share, reachable only while holding its lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // Sendable because every read and write of `value` happens inside `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
