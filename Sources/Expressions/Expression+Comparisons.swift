import TouchpointCore

/// An ordering comparison (`< <= > >=`) with a literal on one side, for `check`'s type warnings.
public struct LiteralComparison: Sendable, Hashable {
    /// The dotted path on the other side (`event.properties.price`), `nil` when both sides are literals.
    public var path: String?
    /// The operator as written.
    public var op: String
    /// The literal.
    public var literal: JSONValue
    /// The other literal, when both sides are literals.
    public var otherLiteral: JSONValue?
    /// The 0-based scalar offset of the path's root in the source, when the path is one of ``Expression/fieldPaths``.
    public var offset: Int?
}

extension Expression {
    /// Every ordering comparison between a field path (or a literal) and a literal, in source order.
    ///
    /// Ordering across types throws at run time (`cannot compare number and string`) and the condition counts
    /// as false, so `check` can warn about these without running anything.
    public var literalComparisons: [LiteralComparison] {
        var out: [LiteralComparison] = []
        var used: [String: Int] = [:]
        root.visit { node in
            guard case .compare(let op, let left, let right) = node else { return }
            switch (left, right) {
            case (.literal(let a), .literal(let b)):
                out.append(LiteralComparison(path: nil, op: op.rawValue, literal: b, otherLiteral: a))
            case (.literal(let value), let other), (let other, .literal(let value)):
                guard let path = other.pathText else { return }
                // The n-th comparison of a path is placed at the n-th place the path is read.
                let places = fieldPaths.filter { $0.description == path }
                let n = used[path, default: 0]
                used[path] = n + 1
                out.append(
                    LiteralComparison(
                        path: path, op: op.rawValue, literal: value,
                        offset: n < places.count ? places[n].offset : places.first?.offset))
            default:
                return
            }
        }
        return out
    }
}

extension Node {
    /// The dotted path a variable or field selection reads (`event.properties.price`).
    var pathText: String? {
        switch self {
        case .variable(let name): return name
        case .select(let operand, let field, _): return operand.pathText.map { $0 + "." + field }
        case .index(let operand, .literal(.string(let key)), _):
            return operand.pathText.map { $0 + "." + key }
        default: return nil
        }
    }

    /// Calls `body` on this node and every node under it, parents first, left to right.
    func visit(_ body: (Node) -> Void) {
        body(self)
        switch self {
        case .literal, .variable, .has: break
        case .select(let a, _, _), .not(let a), .negate(let a), .size(let a): a.visit(body)
        case .index(let a, let b, _), .arithmetic(_, let a, let b), .compare(_, let a, let b),
            .equal(let a, let b, _), .membership(let a, let b), .and(let a, let b), .or(let a, let b),
            .stringTest(_, let a, let b):
            a.visit(body)
            b.visit(body)
        case .list(let items): for item in items { item.visit(body) }
        case .conditional(let a, let b, let c):
            a.visit(body)
            b.visit(body)
            c.visit(body)
        }
    }
}
