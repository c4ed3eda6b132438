import TouchpointCore

/// Parsing of the HTTP `Retry-After` header (RFC 9110 §10.2.3).
public enum RetryAfter {
    /// The wait the header asks for, clamped to `0...limit`: delay-seconds (`120`) or an HTTP-date
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`, also the obsolete RFC 850 and asctime forms) relative to `now`.
    /// `nil` when the value is neither.
    public static func parse(_ value: String, now: Instant, limit: TimeSpan) -> TimeSpan? {
        let v = value.trimmingSpaces()
        guard !v.isEmpty else { return nil }
        let seconds: Int64
        if v.allSatisfy({ $0.isASCII && $0.isNumber }) {
            seconds = Int64(v.prefix(12)) ?? Int64.max
        } else if let date = httpDate(v) {
            // Round up so a peer's "not before" is respected to the second.
            let ms = date.milliseconds - now.milliseconds
            seconds = ms <= 0 ? 0 : (ms + 999) / 1000
        } else {
            return nil
        }
        return TimeSpan(seconds: min(max(seconds, 0), limit.seconds))
    }

    /// An HTTP-date in any of its three forms, as an instant.
    public static func httpDate(_ text: String) -> Instant? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        var day: Int?
        var month: Int?
        var year: Int?
        var time: (Int, Int, Int)?
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" })
        for token in tokens {
            let t = token.lowercased()
            if let m = months.firstIndex(of: t) {
                month = m + 1
            } else if t.contains(":") {
                let parts = t.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 3 else { return nil }
                time = (parts[0], parts[1], parts[2])
            } else if let n = Int(t) {
                if t.count <= 2, day == nil {
                    day = n
                } else if t.count == 4 || (t.count == 2 && day != nil) {
                    // Two-digit RFC 850 years: RFC 9110 says read them as within 50 years of now; 19xx/20xx
                    // split at 70 is the usual reading.
                    year = t.count == 4 ? n : (n < 70 ? 2000 + n : 1900 + n)
                }
            }
        }
        guard let d = day, let m = month, let y = year, let (h, mi, s) = time, (1...31).contains(d), h < 24,
            mi < 60,
            s < 61
        else { return nil }
        let days = ISO8601.daysFromCivil(year: y, month: m, day: d)
        return Instant(seconds: Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)))
    }
}
