import Synchronization

/// A value several threads share by reference: the standard library's `Mutex` does the locking
/// (no `@unchecked Sendable` of our own), the class lets the submitting threads and the transport
/// loop hold the same one.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { value in try body(&value) }
    }
}
