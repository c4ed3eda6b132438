import Foundation
import TouchpointCore

extension GoalReport.Row {
    /// Conversion rate of the receivers, `nil` with none.
    public var receiverRate: Double? { receivers > 0 ? Double(receiverConversions) / Double(receivers) : nil }
    /// Conversion rate of the holdout, `nil` with none.
    public var holdoutRate: Double? {
        holdoutCustomers > 0 ? Double(holdoutConversions) / Double(holdoutCustomers) : nil
    }

    /// The row as one JSON object (fields always present; `null` where not applicable).
    public var json: JSONValue {
        func number(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }
        let u = uplift
        var goalValue: JSONValue = .null
        if let goal {
            goalValue = [
                "event": .string(goal.event.value), "within": .string(goal.within.description),
                "same": .array(goal.same.map { .string($0.value) }),
            ]
        }
        return [
            "rule": .string(rule), "goal": goalValue,
            "sent": .number(Double(sent)), "opened": .number(Double(opened)),
            "clicked": .number(Double(clicked)),
            "held_out": .number(Double(heldOut)),
            "receivers": .number(Double(receivers)),
            "receiver_conversions": goal == nil ? .null : .number(Double(receiverConversions)),
            "receiver_rate": goal == nil ? .null : number(receiverRate),
            "holdout": .number(Double(holdoutCustomers)),
            "holdout_conversions": goal == nil ? .null : .number(Double(holdoutConversions)),
            "holdout_rate": goal == nil ? .null : number(holdoutRate),
            "uplift": goal == nil ? .null : number(u.difference),
            "uplift_interval": goal == nil
                ? .null
                : u.interval.map { .array([.number($0.lower), .number($0.upper)]) } ?? .null,
            "interval_method": goal == nil ? .null : .string("newcombe-hybrid-score-95"),
            "receiver_revenue": number(receiverRevenue), "holdout_revenue": number(holdoutRevenue),
        ]
    }

    /// ``json`` on one line.
    public var jsonLine: String {
        var bytes: [UInt8] = []
        json.append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension GoalReport {
    /// `12.3 %`, or `-` for none.
    public static func percent(_ x: Double?) -> String {
        guard let x else { return "-" }
        return String(format: "%.1f %%", x * 100)
    }

    /// `+4.1 pp`.
    static func points(_ x: Double) -> String { String(format: "%+.1f pp", x * 100) }

    /// The plain table `touchpoint report` prints on a terminal, one block per rule.
    public static func table(_ rows: [Row]) -> [String] {
        guard !rows.isEmpty else { return ["no rule sent or held back any message"] }
        var lines: [String] = []
        for row in rows {
            lines.append("rule \(row.rule)")
            lines.append(
                "  sent \(row.sent), opened \(row.opened), clicked \(row.clicked); held out \(row.heldOut)")
            guard let goal = row.goal else {
                lines.append("  no goal")
                lines.append("")
                continue
            }
            let same = goal.same.isEmpty ? "" : ", same \(goal.same.map(\.value).joined(separator: ", "))"
            lines.append("  goal \(goal.event.value) within \(goal.within)\(same)")
            lines.append(
                "  receivers \(row.receiverConversions)/\(row.receivers) converted (\(percent(row.receiverRate)))"
                    + revenue(row.receiverRevenue))
            lines.append(
                "  holdout   \(row.holdoutConversions)/\(row.holdoutCustomers) converted (\(percent(row.holdoutRate)))"
                    + revenue(row.holdoutRevenue))
            let u = row.uplift
            if let d = u.difference, let i = u.interval {
                lines.append(
                    "  uplift    \(points(d)), 95 % interval \(points(i.lower)) to \(points(i.upper))"
                        + " (Newcombe hybrid score)")
            } else {
                lines.append(
                    "  uplift    - (needs receivers and a holdout: set holdout: 5% in the config or the rule)"
                )
            }
            lines.append("")
        }
        return lines
    }

    private static func revenue(_ x: Double?) -> String {
        x.map { String(format: ", revenue %.2f", $0) } ?? ""
    }
}
