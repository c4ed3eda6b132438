import Foundation
import TouchpointCore

/// A malformed event line set aside with the reason, so the rest keeps flowing.
public struct QuarantinedLine: Sendable, Hashable {
    /// The events file.
    public var path: String
    /// The 1-based line number in that file.
    public var line: Int
    /// Why it was rejected, as shown to an operator.
    public var reason: String
    /// The line's exact bytes (possibly not UTF-8), without the newline.
    public var raw: Data
    /// When it was quarantined.
    public var at: Instant

    /// A quarantined line.
    public init(path: String, line: Int, reason: String, raw: Data, at: Instant) {
        self.path = path
        self.line = line
        self.reason = reason
        self.raw = raw
        self.at = at
    }

    /// The raw bytes as text, with invalid UTF-8 replaced.
    public var text: String { String(decoding: raw, as: UTF8.self) }
}
