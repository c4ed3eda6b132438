/// A problem found while parsing an expression: bad syntax, an unknown function, a limit exceeded.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, in words a rule author understands (`expected ')' after argument list`).
    public let message: String
    /// The 0-based Unicode-scalar offset into the source of the token where the problem is.
    ///
    /// Equal to the source's character count when the problem is the end of input.
    public let offset: Int

    /// Creates a parse error at `offset`.
    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// The message alone: callers place it in their own `path:line:col` context using ``offset``.
    public var description: String { message }
}
