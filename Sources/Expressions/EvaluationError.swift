/// A failure while evaluating an expression against an environment: a missing field, a type mismatch,
/// a division by zero, a result over a size limit.
public struct EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong (`no such field 'price' in event.properties`).
    public let message: String

    /// Creates an evaluation error.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
