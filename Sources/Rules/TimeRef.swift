import TouchpointCore

/// A time in a rule test: absolute (`2026-11-02T10:30:00+08:00`) or relative to the test's start (`+1h`).
public enum TimeRef: Sendable, Hashable, CustomStringConvertible {
    /// An ISO 8601 time with offset.
    case absolute(Timestamp)
    /// An offset from the test's `start` (negative for before it).
    case relative(TimeSpan)

    /// Parses `+1h30m`, `-15m`, `+0m` or an ISO 8601 time; `nil` otherwise.
    public init?(parsing text: String) {
        if let sign = text.first, sign == "+" || sign == "-" {
            guard let span = TimeSpan(parsing: String(text.dropFirst())) else { return nil }
            self = .relative(sign == "-" ? TimeSpan(seconds: -span.seconds) : span)
        } else if let stamp = ISO8601.parse(text) {
            self = .absolute(stamp)
        } else {
            return nil
        }
    }

    /// The instant meant, given the test's start.
    public func instant(from start: Instant) -> Instant {
        switch self {
        case .absolute(let t): t.instant
        case .relative(let span): start + span
        }
    }

    /// The timestamp meant; a relative time keeps the start's UTC offset.
    public func timestamp(from start: Timestamp) -> Timestamp {
        switch self {
        case .absolute(let t): t
        case .relative(let span): Timestamp(instant: start.instant + span, offsetSeconds: start.offsetSeconds)
        }
    }

    /// `+1h`, `-15m`, or the ISO text.
    public var description: String {
        switch self {
        case .absolute(let t): t.text
        case .relative(let span):
            span.seconds < 0 ? "-\(TimeSpan(seconds: -span.seconds))" : "+\(span)"
        }
    }
}
