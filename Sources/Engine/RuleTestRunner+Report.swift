import TouchpointCore

extension RuleTestResult {
    /// `ok   name`, or `FAIL name` followed by one indented line per difference.
    public var textLines: [String] {
        guard !passed else { return ["ok   \(name)"] }
        return ["FAIL \(name)"] + differences.map { "  \($0)" }
    }

    /// One JSON object for CI: `name`, `file`, `line`, `ok`, `differences` (each with `kind`, `file`,
    /// `line`, `column`, `field`, `expected`, `actual`, `message`; `null` where not applicable).
    public var jsonLine: String {
        var o = OrderedJSON()
        o.add("name", .string(name))
        o.add("file", .string(location.file))
        o.add("line", .number(Double(location.line)))
        o.add("ok", .bool(passed))
        let items = differences.map { d -> String in
            var j = OrderedJSON()
            j.add("kind", .string(d.kind.rawValue))
            j.add("file", .string(d.location.file))
            j.add("line", .number(Double(d.location.line)))
            j.add("column", d.location.column > 0 ? .number(Double(d.location.column)) : .null)
            j.add("field", d.field.map { .string($0) } ?? .null)
            j.add("expected", d.expected.map { .string($0) } ?? .null)
            j.add("actual", d.actual.map { .string($0) } ?? .null)
            j.add("message", .string(d.message))
            return j.text
        }
        o.addRaw("differences", "[" + items.joined(separator: ",") + "]")
        return o.text
    }
}
