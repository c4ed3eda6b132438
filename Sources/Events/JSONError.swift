/// Why a JSON text could not be parsed, and where.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 0-based byte offset in the input where the problem was found.
    public let offset: Int
    /// What is wrong, e.g. `expected ',' or '}' after object member`.
    public let message: String

    /// Creates an error at `offset` (0-based, in bytes).
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// `byte 17: expected ':' after object key`.
    public var description: String { "byte \(offset): \(message)" }
}
