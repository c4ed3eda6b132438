import TouchpointCore

/// A recipient address an adapter refuses before sending: a phone number that is not E.164, an email
/// address that is not `local@domain` (``AddressSyntax``). The engine holds such a message back first, so
/// this is the adapter's own guard (an address changed after the decision); the daemon records the message
/// dropped `invalid-address`.
public struct InvalidAddress: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, with the address masked.
    public var message: String

    /// An error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
