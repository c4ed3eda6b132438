import TouchpointCore

/// Why one event line was not accepted: the line is counted and quarantined, never dropped silently.
public struct EventRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The events file the line came from.
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column (in characters) of a JSON syntax error; `nil` when the whole line is at fault.
    public var column: Int?
    /// What is wrong, e.g. `missing required field 'userId'`.
    public var reason: String

    /// Creates a rejection of `file:line[:column]`.
    public init(file: String, line: Int, column: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `file:line[:column]`, for diagnostics.
    public var location: SourceLocation { SourceLocation(file: file, line: line, column: column ?? 0) }

    /// The rejection as an error diagnostic with code `invalid-event`.
    public var diagnostic: Diagnostic { .error("invalid-event", reason, at: location) }

    /// `file:line: reason`, the form SPEC §1 prints.
    public var description: String { "\(file):\(line): \(reason)" }
}
