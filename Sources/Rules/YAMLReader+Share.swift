import Foundation
import TouchpointCore
import Yams

extension YAMLReader {
    /// A share of customers: `5%` (0 % … 100 %) or a number from 0 to 1, as a fraction.
    mutating func share(_ node: Node, name: String) -> Double? {
        if case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .float,
            let value = Double(scalar.string), value >= 0, value <= 1
        {
            return value
        }
        if case .scalar(let scalar) = node, node.tagName != .null, scalar.string.hasSuffix("%"),
            let value = Double(scalar.string.dropLast().trimmingCharacters(in: .whitespaces)),
            value >= 0, value <= 100
        {
            return value / 100
        }
        error(
            "bad-share",
            "'\(name)' must be a share of customers like 5% (0% to 100%) or a number from 0 to 1, "
                + "found \(YAMLReader.kind(of: node))"
                + (node.scalar.map { " '\($0.string)'" } ?? ""),
            at: location(of: node))
        return nil
    }
}

extension RuleLoader {
    static let goalKeys = ["event", "within", "same"]

    /// `goal: { event: Order Completed, within: 7d, same: [cart_id] }`.
    func readGoal(_ node: Node, _ r: inout YAMLReader) -> Goal? {
        guard
            let fields = r.mapping(
                node, name: "goal", keys: RuleLoader.goalKeys,
                placement: RuleLoader.nestedPlacement(excluding: RuleLoader.goalKeys))
        else { return nil }
        let event = r.require(fields, "event").flatMap { r.name($0, name: "event") }
        var within: TimeSpan?
        if let n = r.require(fields, "within"), let span = r.duration(n, name: "within") {
            if span.seconds <= 0 {
                r.error("bad-duration", "the goal's 'within' must be longer than 0", at: r.location(of: n))
            } else {
                within = span
            }
        }
        var same: [Located<String>] = []
        if let sameNode = fields["same"] {
            let names: [Node]
            if case .sequence(let s) = sameNode { names = Array(s) } else { names = [sameNode] }
            if names.isEmpty {
                r.error("empty-list", "'same' must list at least one property", at: r.location(of: sameNode))
            }
            for n in names {
                if let s = r.name(n, name: "same") { same.append(s) }
            }
        }
        guard let event, let within else { return nil }
        return Goal(event: event, within: within, same: same)
    }
}
