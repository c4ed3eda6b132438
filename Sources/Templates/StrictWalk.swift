import TouchpointCore

/// Why a strict render refused a template.
enum StrictProblem: Error, Sendable, Hashable {
    /// A variable that does not resolve, or resolves to `null`.
    case missing(String)
    /// A variable that resolves to a list or map, which has no text form.
    case notAValue(String, typeName: String)
}

/// The strict-variable walk: visits exactly the tags swift-mustache would render for a
/// context, with the same lookup rules (context stack, dotted names, `.`), and reports the
/// first variable that would print nothing because it is missing or null.
enum StrictWalk {
    /// The first problem in document order, or `nil` when every rendered variable has a value.
    static func check(_ nodes: [MustacheNode], context: JSONValue) -> StrictProblem? {
        var stack = [context]
        return walk(nodes, stack: &stack)
    }

    private static func walk(_ nodes: [MustacheNode], stack: inout [JSONValue]) -> StrictProblem? {
        for node in nodes {
            switch node {
            case .text:
                continue
            case .variable(let tag, _):
                switch resolve(tag, stack: stack) {
                case nil, .null?:
                    return .missing(tag.written)
                case .array?:
                    return .notAValue(tag.written, typeName: "list")
                case .object?:
                    return .notAValue(tag.written, typeName: "map")
                default:
                    continue
                }
            case .section(let tag, let inverted, let body):
                let value = resolve(tag, stack: stack)
                if inverted {
                    if isFalsey(value), let problem = walk(body, stack: &stack) { return problem }
                    continue
                }
                guard let value, !isFalsey(value) else { continue }
                switch value {
                case .array(let elements):
                    for element in elements {
                        stack.append(element)
                        defer { stack.removeLast() }
                        if let problem = walk(body, stack: &stack) { return problem }
                    }
                case .bool:
                    if let problem = walk(body, stack: &stack) { return problem }
                default:
                    stack.append(value)
                    defer { stack.removeLast() }
                    if let problem = walk(body, stack: &stack) { return problem }
                }
            }
        }
        return nil
    }

    /// swift-mustache's section truthiness: nothing, null, `false` and the empty list are falsey.
    static func isFalsey(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?, .bool(false)?: true
        case .array(let a)?: a.isEmpty
        default: false
        }
    }

    /// The value a tag renders, or `nil` when the lookup finds nothing.
    static func resolve(_ tag: MustacheTag, stack: [JSONValue]) -> JSONValue? {
        guard var value = lookup(tag.name, segments: tag.segments, stack: stack) else { return nil }
        for transform in tag.transforms.reversed() {
            guard let next = apply(transform, to: value) else { return nil }
            value = next
        }
        return value
    }

    /// Mustache name lookup: the first segment climbs the stack, later segments descend only.
    /// `segments` is `name` split at dots (``MustacheTag/segments``).
    static func lookup(_ name: String, segments: [String], stack: [JSONValue]) -> JSONValue? {
        if name == "." { return stack.last }
        guard let first = segments.first else { return stack.last }
        var found: JSONValue?
        if name.first == "." {
            found = stack.last.flatMap { child(first, of: $0) }
        } else {
            for frame in stack.reversed() {
                if let hit = child(first, of: frame) {
                    found = hit
                    break
                }
            }
        }
        guard var value = found else { return nil }
        for segment in segments.dropFirst() {
            guard let next = child(segment, of: value) else { return nil }
            value = next
        }
        return value
    }

    private static func child(_ key: String, of value: JSONValue) -> JSONValue? {
        if case .object(let members) = value { return members[key] }
        return nil
    }

    /// swift-mustache's built-in transforms over the values our contexts contain.
    static func apply(_ transform: String, to value: JSONValue) -> JSONValue? {
        switch value {
        case .string(let s):
            switch transform {
            case "empty": return .bool(s.isEmpty)
            case "lowercased": return .string(s.lowercased())
            case "uppercased": return .string(s.uppercased())
            case "capitalized": return .string(s)  // only existence matters to the walk
            case "reversed": return .string(String(s.reversed()))
            default: return nil
            }
        case .array(let a):
            switch transform {
            case "first": return a.first
            case "last": return a.last
            case "reversed": return .array(a.reversed())
            case "count": return .number(Double(a.count))
            case "empty": return .bool(a.isEmpty)
            default: return nil
            }
        case .object(let o):
            switch transform {
            case "count": return .number(Double(o.count))
            case "empty": return .bool(o.isEmpty)
            case "enumerated", "sorted":
                return .array(o.keys.sorted().map { .object(["key": .string($0), "value": o[$0]!]) })
            default: return nil
            }
        case .number(let n) where MustacheValue.isInteger(n):
            switch transform {
            case "equalzero": return .bool(n == 0)
            case "plusone": return .number(n + 1)
            case "minusone": return .number(n - 1)
            case "even": return .bool(Int(n) & 1 == 0)
            case "odd": return .bool(Int(n) & 1 == 1)
            default: return nil
            }
        default:
            return nil
        }
    }
}
