/// A length of time as rule authors write it: `45s`, `15m`, `1h`, `1h30m`, `7d`, `2w`.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds.
    public var seconds: Int64 {
        didSet { written = nil }
    }
    /// The text this span was parsed from (`30d`), which ``description`` prints back rather than the
    /// canonical `4w2d`; not part of equality.
    public private(set) var written: String?

    public init(seconds: Int64) { self.seconds = seconds }

    public static func == (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds == rhs.seconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(seconds) }

    public static let zero = TimeSpan(seconds: 0)
    public static func minutes(_ m: Int64) -> TimeSpan { TimeSpan(seconds: m * 60) }
    public static func hours(_ h: Int64) -> TimeSpan { TimeSpan(seconds: h * 3600) }
    public static func days(_ d: Int64) -> TimeSpan { TimeSpan(seconds: d * 86_400) }

    /// Milliseconds, for arithmetic on ``Instant``.
    public var milliseconds: Int64 { seconds * 1000 }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// Parses `1h30m`-style text; `nil` when the text is not a duration.
    ///
    /// Units: `s`, `m`, `h`, `d`, `w`; each at most once, largest first; a bare `0` is zero.
    public init?(parsing text: String) {
        let units: [(Character, Int64)] = [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var total: Int64 = 0
        var number: Int64? = nil
        var nextUnit = 0
        if text == "0" {
            self.seconds = 0
            return
        }
        guard !text.isEmpty else { return nil }
        for ch in text {
            if let d = ch.wholeNumberValue, ch.isASCII {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                if o1 || o2 || a > 1_000_000_000 { return nil }
                number = a
            } else {
                guard let n = number,
                    let idx = units[nextUnit...].firstIndex(where: { $0.0 == ch })
                else { return nil }
                total += n * units[idx].1
                nextUnit = idx + 1
                number = nil
            }
        }
        if number != nil { return nil }
        self.seconds = total
        self.written = text
    }

    /// The text as written, else the canonical text: `1h30m`, `7d`, `0s`.
    public var description: String {
        if let written { return written }
        return canonical
    }

    /// The canonical text: `1h30m`, `7d`, `0s`.
    public var canonical: String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var out = ""
        if rest < 0 {
            out = "-"
            rest = -rest
        }
        // Weeks only for a whole number of them: `30d`, not `4w2d`.
        let units: [(String, Int64)] =
            rest % 604_800 == 0
            ? [("w", 604_800)] : [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        for (unit, size) in units {
            if rest >= size {
                out += "\(rest / size)\(unit)"
                rest %= size
            }
        }
        return out
    }
}
