import TouchpointCore

extension Node {
    /// Evaluates this tree against `env`. Each node is visited at most once, so the cost is linear in the
    /// size of the tree (plus the size of the values compared, concatenated or searched).
    func evaluate(_ env: [String: JSONValue]) throws(EvaluationError) -> JSONValue {
        switch self {
        case .literal(let value):
            return value
        case .variable(let name):
            guard let value = env[name] else {
                throw EvaluationError(
                    "unknown variable '\(name)'\(Suggest.didYouMean(name, in: env.keys.sorted()))")
            }
            return value
        case .select(let operand, let field, let path):
            let base = try operand.evaluate(env)
            guard case .object(let members) = base else {
                throw EvaluationError("cannot select field '\(field)' from \(Node.describe(path, base))")
            }
            guard let value = members[field] else {
                throw EvaluationError("no such field '\(field)' in \(path.isEmpty ? "map" : path)")
            }
            return value
        case .index(let operand, let index, let path):
            return try Node.subscript(try operand.evaluate(env), try index.evaluate(env), path: path)
        case .has(let root, let fields):
            return .bool(Node.has(root, fields, env))
        case .list(let elements):
            var values: [JSONValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try element.evaluate(env)) }
            return .array(values)
        case .not(let operand):
            let value = try operand.evaluate(env)
            guard case .bool(let b) = value else {
                throw EvaluationError("'!' needs a bool, got \(value.typeName)")
            }
            return .bool(!b)
        case .negate(let operand):
            let value = try operand.evaluate(env)
            guard case .number(let n) = value else {
                throw EvaluationError("'-' needs a number, got \(value.typeName)")
            }
            return .number(-n)
        case .arithmetic(let op, let left, let right):
            return try Node.arithmetic(op, try left.evaluate(env), try right.evaluate(env))
        case .compare(let op, let left, let right):
            return .bool(try Node.compare(op, try left.evaluate(env), try right.evaluate(env)))
        case .equal(let left, let right, let negated):
            return .bool(Node.equal(try left.evaluate(env), try right.evaluate(env)) != negated)
        case .membership(let element, let container):
            return .bool(try Node.contains(try container.evaluate(env), try element.evaluate(env)))
        case .and(let left, let right):
            return .bool(try Node.logical(left, right, absorbing: false, env))
        case .or(let left, let right):
            return .bool(try Node.logical(left, right, absorbing: true, env))
        case .conditional(let condition, let then, let otherwise):
            let value = try condition.evaluate(env)
            guard case .bool(let b) = value else {
                throw EvaluationError("condition of '?:' must be a bool, got \(value.typeName)")
            }
            return try (b ? then : otherwise).evaluate(env)
        case .size(let operand):
            let value = try operand.evaluate(env)
            switch value {
            // CEL counts code points, not grapheme clusters: size('e\u0301') is 2.
            case .string(let s): return .number(Double(s.unicodeScalars.count))
            case .array(let a): return .number(Double(a.count))
            case .object(let o): return .number(Double(o.count))
            default: throw EvaluationError("size() needs a string, list or map, got \(value.typeName)")
            }
        case .stringTest(let test, let receiver, let argument):
            let value = try receiver.evaluate(env)
            guard case .string(let s) = value else {
                throw EvaluationError("\(test.rawValue)() needs a string receiver, got \(value.typeName)")
            }
            let argumentValue = try argument.evaluate(env)
            guard case .string(let t) = argumentValue else {
                throw EvaluationError(
                    "\(test.rawValue)() needs a string argument, got \(argumentValue.typeName)")
            }
            switch test {
            // By code point, never by canonical equivalence: UTF-8 is self-synchronising, so a byte
            // match is a scalar match.
            case .startsWith: return .bool(s.utf8.starts(with: t.utf8))
            case .endsWith: return .bool(s.utf8.reversed().starts(with: t.utf8.reversed()))
            case .contains: return .bool(Node.utf8(s, contains: t))
            }
        }
    }

    /// `&&` (`absorbing: false`) and `||` (`absorbing: true`) with CEL's commutative error handling:
    /// the absorbing value on either side wins over an error or a non-bool on the other side.
    private static func logical(
        _ left: Node, _ right: Node, absorbing: Bool, _ env: [String: JSONValue]
    ) throws(EvaluationError) -> Bool {
        let leftFailure: EvaluationError
        switch left.evaluateOperand(of: absorbing, env) {
        case .success(let b):
            if b == absorbing { return b }
            return try right.evaluateOperand(of: absorbing, env).get()
        case .failure(let error):
            leftFailure = error
        }
        if case .success(let r) = right.evaluateOperand(of: absorbing, env), r == absorbing { return r }
        throw leftFailure
    }

    /// An operand of `&&`/`||` as a `Result`, so the caller can hold an error while it tries the other side.
    private func evaluateOperand(
        of absorbing: Bool, _ env: [String: JSONValue]
    ) -> Result<Bool, EvaluationError> {
        do {
            let value = try evaluate(env)
            guard case .bool(let b) = value else {
                return .failure(
                    EvaluationError("'\(absorbing ? "||" : "&&")' needs bool operands, got \(value.typeName)")
                )
            }
            return .success(b)
        } catch {
            return .failure(error)
        }
    }

    private static func describe(_ path: String, _ value: JSONValue) -> String {
        let article = value.typeName == "null" ? "" : "a "
        return path.isEmpty ? "\(article)\(value.typeName)" : "\(path), which is \(article)\(value.typeName)"
    }

    private static func `subscript`(_ base: JSONValue, _ index: JSONValue, path: String)
        throws(EvaluationError) -> JSONValue
    {
        switch base {
        case .object(let members):
            guard case .string(let key) = index else {
                throw EvaluationError("map key must be a string, got \(index.typeName)")
            }
            guard let value = members[key] else {
                throw EvaluationError("no such key '\(key)' in \(path.isEmpty ? "map" : path)")
            }
            return value
        case .array(let elements):
            guard case .number(let n) = index else {
                throw EvaluationError("list index must be a number, got \(index.typeName)")
            }
            guard n.rounded(.towardZero) == n else {
                throw EvaluationError("list index must be a whole number, got \(JSONValue.format(number: n))")
            }
            guard n >= 0, n < Double(elements.count) else {
                let name = path.isEmpty ? "list" : path
                throw EvaluationError(
                    "index \(JSONValue.format(number: n)) out of range for \(name) (size \(elements.count))")
            }
            return elements[Int(n)]
        default:
            throw EvaluationError("cannot index \(describe(path, base))")
        }
    }

    private static func has(_ root: String, _ fields: [String], _ env: [String: JSONValue]) -> Bool {
        guard var value = env[root] else { return false }
        for field in fields {
            guard case .object(let members) = value, let next = members[field] else { return false }
            value = next
        }
        // CEL's has() tests presence: a field holding null is present.
        return true
    }

    private static func arithmetic(_ op: Arithmetic, _ left: JSONValue, _ right: JSONValue)
        throws(EvaluationError) -> JSONValue
    {
        switch (left, right) {
        case (.number(let a), .number(let b)):
            let result: Double
            switch op {
            case .add: result = a + b
            case .subtract: result = a - b
            case .multiply: result = a * b
            case .divide:
                guard b != 0 else { throw EvaluationError("division by zero") }
                result = a / b
            case .remainder:
                guard b != 0 else { throw EvaluationError("modulus by zero") }
                result = a.truncatingRemainder(dividingBy: b)
            }
            // Infinity and NaN have no JSON form and no sensible comparisons, so they never leave here.
            guard result.isFinite else { throw EvaluationError("numeric overflow in '\(op.rawValue)'") }
            return .number(result)
        case (.string(let a), .string(let b)) where op == .add:
            guard a.utf8.count + b.utf8.count <= Expression.maximumStringBytes else {
                throw EvaluationError("string result too long (limit \(Expression.maximumStringBytes) bytes)")
            }
            return .string(a + b)
        case (.array(let a), .array(let b)) where op == .add:
            guard a.count + b.count <= Expression.maximumListCount else {
                throw EvaluationError("list result too long (limit \(Expression.maximumListCount) elements)")
            }
            return .array(a + b)
        default:
            throw EvaluationError("cannot apply '\(op.rawValue)' to \(left.typeName) and \(right.typeName)")
        }
    }

    private static func compare(_ op: Comparison, _ left: JSONValue, _ right: JSONValue)
        throws(EvaluationError) -> Bool
    {
        switch (left, right) {
        case (.number(let a), .number(let b)): return order(op, a, b)
        // Code-point order, which is UTF-8 byte order; Swift's String order is over canonical equivalents.
        case (.string(let a), .string(let b)): return order(op, ScalarOrder(a), ScalarOrder(b))
        case (.bool(let a), .bool(let b)): return order(op, a ? 1 : 0, b ? 1 : 0)
        default: throw EvaluationError("cannot compare \(left.typeName) and \(right.typeName)")
        }
    }

    @inline(__always)
    private static func order<T: Comparable>(_ op: Comparison, _ a: T, _ b: T) -> Bool {
        switch op {
        case .less: a < b
        case .lessEqual: a <= b
        case .greater: a > b
        case .greaterEqual: a >= b
        }
    }

    private static func contains(_ container: JSONValue, _ element: JSONValue) throws(EvaluationError) -> Bool
    {
        switch container {
        case .array(let elements):
            return elements.contains { equal($0, element) }
        case .object(let members):
            guard case .string(let key) = element else {
                throw EvaluationError("'in' on a map needs a string key, got \(element.typeName)")
            }
            return members[key] != nil
        case .string:
            throw EvaluationError(
                "'in' needs a list or map on the right, got string; use s.contains(t) for substrings")
        default:
            throw EvaluationError("'in' needs a list or map on the right, got \(container.typeName)")
        }
    }

    /// CEL equality: strings equal when their code points are (no normalisation: `'\u00e9' != 'e\u0301'`),
    /// lists element by element, maps key by key; numbers, bools and null as `JSONValue` compares them.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count
                && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default:
            return a == b
        }
    }

    static func utf8(_ s: String, contains t: String) -> Bool {
        let haystack = Array(s.utf8)
        let needle = Array(t.utf8)
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}

/// A string ordered by code point (its UTF-8 bytes), for CEL's `<` on strings.
private struct ScalarOrder: Comparable {
    let text: String
    init(_ text: String) { self.text = text }
    static func < (a: ScalarOrder, b: ScalarOrder) -> Bool {
        a.text.utf8.lexicographicallyPrecedes(b.text.utf8)
    }
    static func == (a: ScalarOrder, b: ScalarOrder) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
}
