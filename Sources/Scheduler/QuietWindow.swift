/// A daily span of local wall-clock time in which marketing messages are not sent, e.g. `21:00-08:00`.
///
/// Bounds are minutes after local midnight; the start is inside the window, the end is not. A window whose
/// start is later than its end wraps past midnight.
public struct QuietWindow: Sendable, Hashable, CustomStringConvertible {
    /// Minutes after local midnight at which quiet hours begin (inclusive), `0..<1440`.
    public let start: Int
    /// Minutes after local midnight at which quiet hours end (exclusive), `0..<1440`.
    public let end: Int

    /// `nil` when a bound is outside a day or the window is empty (`start == end`).
    public init?(start: Int, end: Int) {
        guard (0..<1440).contains(start), (0..<1440).contains(end), start != end else { return nil }
        self.start = start
        self.end = end
    }

    /// Parses `HH:MM-HH:MM` (24-hour clock), e.g. `21:00-08:00`; `nil` when the text is not such a window.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = Self.minutes(parts[0]), let e = Self.minutes(parts[1]) else {
            return nil
        }
        self.init(start: s, end: e)
    }

    /// Whether a local time, in minutes after midnight, falls inside the window.
    public func contains(minuteOfDay m: Int) -> Bool {
        start < end ? (m >= start && m < end) : (m >= start || m < end)
    }

    /// The canonical `HH:MM-HH:MM` text.
    public var description: String { Self.format(start) + "-" + Self.format(end) }

    private static func minutes(_ text: Substring) -> Int? {
        let hm = text.trimmingSpaces.split(separator: ":", omittingEmptySubsequences: false)
        guard hm.count == 2, (1...2).contains(hm[0].count), hm[1].count == 2,
            hm.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let h = Int(hm[0]), let m = Int(hm[1]), h < 24, m < 60
        else { return nil }
        return h * 60 + m
    }

    private static func format(_ minutes: Int) -> String {
        let h = minutes / 60
        let m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
