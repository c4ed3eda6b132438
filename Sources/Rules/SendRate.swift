import Foundation

/// A channel's pace, `200/s`, `30/m` or `500/h`: a count per unit of time.
public struct SendRate: Sendable, Hashable, CustomStringConvertible {
    /// Sends allowed per `seconds`.
    public var count: Double
    /// The unit, in seconds: 1, 60 or 3600.
    public var seconds: Double

    /// Parses `N/s`, `N/m`, `N/h` (N a positive number); `nil` otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Double(parts[0].trimmingCharacters(in: .whitespaces)), n > 0,
            n.isFinite
        else { return nil }
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        default: return nil
        }
        count = n
    }

    /// Sends per second.
    public var perSecond: Double { count / seconds }

    /// `200/s`.
    public var description: String {
        let n = count == count.rounded() ? String(Int(count)) : String(count)
        return "\(n)/\(seconds == 1 ? "s" : seconds == 60 ? "m" : "h")"
    }
}
