import TouchpointCore

/// Renders compiled nodes straight from a `JSONValue` context into UTF-8 bytes, checking strict
/// variables on the way: one pass instead of the strict walk followed by swift-mustache.
///
/// The semantics are swift-mustache 2.1.1's over the values `MustacheValue.convert` used to hand
/// it: a key holding `null` stops the climb up the context stack; sections render once per list
/// element, once without a new frame for `true`, and once with the value as the new frame for a
/// string, number or map (so `0` and `""` are truthy); `null`, `false`, `[]` and a missing name
/// skip. Inverted sections are the opposite, and `[]` renders them with itself as the frame. The
/// strict rule is `StrictWalk`'s: the first rendered variable that is missing, `null`, a list or a
/// map fails the render; variables in skipped sections never count.
struct RenderWalk {
    private var stack: [JSONValue]
    /// The rendered bytes so far.
    private(set) var output: [UInt8] = []

    private init(context: JSONValue, capacity: Int) {
        // One allocation for the frames a template nests in practice.
        stack = []
        stack.reserveCapacity(8)
        stack.append(context)
        output.reserveCapacity(capacity)
    }

    /// Renders `nodes` for `context`; `html` is the content type at the start (the piece's kind).
    /// `capacity` is a guess at the output size, to avoid regrowing the buffer.
    static func render(
        _ nodes: [RenderNode], context: JSONValue, html: Bool, capacity: Int
    ) -> Result<[UInt8], StrictProblem> {
        var walk = RenderWalk(context: context, capacity: capacity)
        if let problem = walk.walk(nodes, html: html) { return .failure(problem) }
        return .success(walk.output)
    }

    private mutating func walk(_ nodes: [RenderNode], html start: Bool) -> StrictProblem? {
        var html = start
        for node in nodes {
            switch node {
            case .text(let bytes):
                output.append(contentsOf: bytes)
            case .contentType(let isHTML):
                html = isHTML
            case .variable(let name, let raw):
                switch lookup(name) {
                case nil, .null?:
                    return .missing(name.written)
                case .array?:
                    return .notAValue(name.written, typeName: "list")
                case .object?:
                    return .notAValue(name.written, typeName: "map")
                case .string(let s)?:
                    if raw || !html {
                        append(s)
                    } else {
                        HTMLEscape.append(s, to: &output)
                    }
                case .number(let n)?:
                    appendNumber(n)
                case .bool(let b)?:
                    append(b ? "true" : "false")
                }
            case .section(let name, let inverted, let body):
                let value = lookup(name)
                if inverted {
                    switch value {
                    case nil, .null?, .bool(false)?:
                        if let problem = walk(body, html: html) { return problem }
                    case .array(let elements)? where elements.isEmpty:
                        stack.append(.array([]))
                        defer { stack.removeLast() }
                        if let problem = walk(body, html: html) { return problem }
                    default:
                        continue
                    }
                    continue
                }
                switch value {
                case nil, .null?, .bool(false)?:
                    continue
                case .bool(true)?:
                    if let problem = walk(body, html: html) { return problem }
                case .array(let elements)?:
                    for element in elements {
                        stack.append(element)
                        defer { stack.removeLast() }
                        if let problem = walk(body, html: html) { return problem }
                    }
                case let frame?:
                    stack.append(frame)
                    defer { stack.removeLast() }
                    if let problem = walk(body, html: html) { return problem }
                }
            }
        }
        return nil
    }

    /// swift-mustache's lookup: the first segment climbs the stack (unless the name starts with a
    /// dot), later segments only descend; only maps have children.
    private func lookup(_ name: RenderName) -> JSONValue? {
        let segments = name.segments
        guard let first = segments.first else { return stack.last }
        var value: JSONValue
        if name.currentFrameOnly {
            guard case .object(let members)? = stack.last, let hit = members[first] else { return nil }
            value = hit
        } else {
            var found: JSONValue?
            var i = stack.count - 1
            while i >= 0 {
                if case .object(let members) = stack[i], let hit = members[first] {
                    found = hit
                    break
                }
                i -= 1
            }
            guard let hit = found else { return nil }
            value = hit
        }
        var k = 1
        while k < segments.count {
            guard case .object(let members) = value, let next = members[segments[k]] else { return nil }
            value = next
            k += 1
        }
        return value
    }

    private mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { output.append(contentsOf: $0) }
    }

    /// What `String(describing:)` printed for the `Int` or `Double` that `MustacheValue.convert`
    /// made of the number.
    private mutating func appendNumber(_ n: Double) {
        guard MustacheValue.isInteger(n) else {
            append(n.description)
            return
        }
        var v = Int(n)
        if v == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        if v < 0 { output.append(UInt8(ascii: "-")) }
        let start = output.count
        while v != 0 {
            let digit = v % 10
            output.append(UInt8(ascii: "0") + UInt8(digit < 0 ? -digit : digit))
            v /= 10
        }
        output[start...].reverse()
    }
}
