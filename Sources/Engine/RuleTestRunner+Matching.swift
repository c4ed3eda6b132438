import Rules
import TouchpointCore

extension RuleTestRunner {
    /// One field of a paired expectation and message that disagree, as printed.
    struct FieldDifference: Equatable {
        var field: String
        var expected: String
        var actual: String
    }

    /// An expectation can describe a message only if the rule and customer it names are the message's:
    /// otherwise they are about different messages, reported as missing and unexpected.
    static func compatible(_ e: Expectation, _ r: MessageRecord) -> Bool {
        (e.rule == nil || e.rule!.value == r.rule) && (e.customer == nil || e.customer == r.customer)
    }

    /// The fields `e` names that `r` does not satisfy, in a fixed order.
    static func fieldDifferences(_ e: Expectation, _ r: MessageRecord, start: Instant) -> [FieldDifference] {
        var out: [FieldDifference] = []
        if e.decision.rawValue != r.decision.rawValue {
            out.append(
                FieldDifference(
                    field: "decision", expected: e.decision.rawValue,
                    actual: r.decision.rawValue + (r.reason.map { " (\($0.rawValue))" } ?? "")))
        }
        if let channel = e.channel, r.channel != channel {
            out.append(
                FieldDifference(
                    field: "channel", expected: channel.rawValue, actual: r.channel?.rawValue ?? "none"))
        }
        if let sendAt = e.sendAt {
            let want = sendAt.instant(from: start)
            if r.sendAt != want {
                out.append(
                    FieldDifference(
                        field: "send_at", expected: r.zone.format(want),
                        actual: r.sendAt.map { r.zone.format($0) } ?? "none"))
            }
        }
        // A reason on a message that was sent anyway is already told by the decision line.
        if let reason = e.reason, r.reason != reason, r.decision == .suppressed {
            out.append(
                FieldDifference(
                    field: "reason", expected: reason.rawValue, actual: r.reason?.rawValue ?? "none"))
        }
        if let text = e.text, !contains(r, text) {
            out.append(
                FieldDifference(field: "text", expected: "containing \(quote(text))", actual: excerpt(of: r)))
        }
        if let fallback = e.fallback, fallback != (r.fallbackOf != nil) {
            out.append(
                FieldDifference(
                    field: "fallback", expected: fallback ? "a fallback" : "a first send",
                    actual: r.fallbackOf.map { "fallback of \($0)" } ?? "a first send"))
        }
        return out
    }

    /// How many fields `e` constrains (decision always counts: it defaults to `send`).
    static func fieldCount(_ e: Expectation) -> Int {
        1 + (e.channel == nil ? 0 : 1) + (e.sendAt == nil ? 0 : 1) + (e.reason == nil ? 0 : 1)
            + (e.text == nil ? 0 : 1) + (e.fallback == nil ? 0 : 1)
    }

    /// Whether `fragment` appears in the message's subject, text or HTML.
    static func contains(_ r: MessageRecord, _ fragment: String) -> Bool {
        guard let c = r.content else { return false }
        return c.subject?.contains(fragment) == true || c.text.contains(fragment)
            || c.html?.contains(fragment) == true
    }

    /// The start of what was rendered, enough to see why a fragment is not in it.
    static func excerpt(of r: MessageRecord) -> String {
        guard let c = r.content else { return "no content (\(r.decision.rawValue))" }
        let text = "text " + quote(snippet(c.text))
        guard let subject = c.subject else { return text }
        return "subject \(quote(snippet(subject))), " + text
    }

    static func snippet(_ s: String, limit: Int = 60) -> String {
        let flat = s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
    }

    static func quote(_ s: String) -> String {
        "\""
            + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// The fields an expectation names, for a "none fired" line: `rule x, customer u1, channel sms`.
    static func summary(of e: Expectation, start: Instant, zone: Zone) -> String {
        var parts: [String] = []
        if let rule = e.rule { parts.append("rule \(rule.value)") }
        if let customer = e.customer { parts.append("customer \(customer)") }
        if let channel = e.channel { parts.append("channel \(channel.rawValue)") }
        if let sendAt = e.sendAt { parts.append("send_at \(zone.format(sendAt.instant(from: start)))") }
        if let reason = e.reason { parts.append("reason \(reason.rawValue)") }
        if let text = e.text { parts.append("text \(quote(text))") }
        if let fallback = e.fallback { parts.append(fallback ? "fallback" : "not a fallback") }
        return parts.joined(separator: ", ")
    }

    /// A message no expectation asked for: `message: rule win-back, customer u1, channel email at …`.
    static func describe(_ r: MessageRecord) -> String {
        var s = r.decision == .send ? "message: " : "suppressed message: "
        s += "rule \(r.rule), customer \(r.customer)"
        if let channel = r.channel { s += ", channel \(channel.rawValue)" }
        if let reason = r.reason { s += ", reason \(reason.rawValue)" }
        if r.fallbackOf != nil { s += ", fallback" }
        s += " at \(r.zone.format(r.sendAt ?? r.decidedAt))"
        if let detail = r.detail { s += " (\(detail))" }
        return s
    }

    static func hint(_ word: String, in candidates: [String], otherwise: String) -> String {
        let hint = Suggest.didYouMean(word, in: candidates)
        return hint.isEmpty ? otherwise : hint
    }

    static func list(_ names: [String]) -> String {
        names.isEmpty ? "none (no rule loaded)" : names.sorted().joined(separator: ", ")
    }

    // MARK: - Assignment

    /// For each expectation, the index of the record it is paired with, if any.
    ///
    /// Weights make one exact match outweigh any number of inexact pairs, and one inexact pair outweigh
    /// any number of agreeing fields; an optimal assignment under them is what the type's doc promises.
    static func pair(_ expected: [Expectation], _ records: [MessageRecord], start: Instant) -> [Int?] {
        guard !expected.isEmpty, !records.isEmpty else { return Array(repeating: nil, count: expected.count) }
        let exact = 1_000_000
        var weight = Array(repeating: Array(repeating: 0, count: records.count), count: expected.count)
        for (i, e) in expected.enumerated() {
            for (j, r) in records.enumerated() where compatible(e, r) {
                let differences = fieldDifferences(e, r, start: start).count
                weight[i][j] = differences == 0 ? exact : 1_000 + fieldCount(e) - differences
            }
        }
        let n = max(expected.count, records.count)
        // Hungarian is cubic; a test that lets hundreds of messages through is rare, and greedy is then good enough.
        let columns = n <= 150 ? hungarian(weight, size: n) : greedy(weight)
        return columns.enumerated().map { i, j in j.flatMap { weight[i][$0] > 0 ? $0 : nil } }
    }

    /// Maximum-weight assignment (rows to columns) on `weight` padded with zeros to `size`×`size`.
    static func hungarian(_ weight: [[Int]], size n: Int) -> [Int?] {
        let rows = weight.count
        let cols = weight.first?.count ?? 0
        let top = weight.joined().max() ?? 0
        func cost(_ i: Int, _ j: Int) -> Int { top - (i < rows && j < cols ? weight[i][j] : 0) }
        // Potentials formulation (1-based, column 0 a sentinel): O(n³).
        var u = Array(repeating: 0, count: n + 1)
        var v = Array(repeating: 0, count: n + 1)
        var p = Array(repeating: 0, count: n + 1)
        var way = Array(repeating: 0, count: n + 1)
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = Array(repeating: Int.max, count: n + 1)
            var used = Array(repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Int.max
                var j1 = 0
                for j in 1...n where !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if cur < minv[j] {
                        minv[j] = cur
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...n {
                    if used[j] {
                        u[p[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var result: [Int?] = Array(repeating: nil, count: rows)
        for j in 1...n where p[j] != 0 && p[j] - 1 < rows && j - 1 < cols { result[p[j] - 1] = j - 1 }
        return result
    }

    /// Heaviest pairs first; ties in file and time order.
    static func greedy(_ weight: [[Int]]) -> [Int?] {
        var candidates: [(w: Int, i: Int, j: Int)] = []
        for (i, row) in weight.enumerated() {
            for (j, w) in row.enumerated() where w > 0 { candidates.append((w, i, j)) }
        }
        candidates.sort { a, b in a.w != b.w ? a.w > b.w : (a.i, a.j) < (b.i, b.j) }
        var result: [Int?] = Array(repeating: nil, count: weight.count)
        var taken = Set<Int>()
        for c in candidates where result[c.i] == nil && !taken.contains(c.j) {
            result[c.i] = c.j
            taken.insert(c.j)
        }
        return result
    }
}
