import Foundation
import Testing
import TouchpointCore

@testable import Expressions

/// Our evaluator against cel-python 0.5.0 (`pip install cel-python`; `.ci/run` installs it), an
/// independent CEL implementation: the same value, or an error on both sides, for hand-picked and
/// generated expressions. Numbers are doubles on both sides (the environment passes floats, and the
/// expressions divide no integers and compare no int with a double), since Touchpoint has no integer
/// type; and a division by zero is an error here where CEL's doubles give infinity (see the README).
@Suite("Expressions match cel-python")
struct CELDifferentialTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "CELCheck/cel_eval.py"
        ).path

    static let env: [String: JSONValue] = [
        "event": [
            "name": "Product Added",
            "properties": [
                "price": 38.5, "sku": "TEA-01", "tags": ["tea", "gift"], "coupon": nil, "name": "Cafe\u{301}",
            ],
        ],
        "customer": ["id": "u42", "first_name": "雷", "locale": "zh-CN", "phone": nil, "city": "Z\u{FC}rich"],
    ]

    /// cel-python's answers: a value, or `nil` for an error.
    static func celPython(_ expressions: [String]) throws -> [JSONValue?] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var lines = ""
        let envText = JSONValue.object(env).jsonText
        for expression in expressions {
            let quoted = JSONValue.string(expression).jsonText
            lines += "{\"expr\": \(quoted), \"env\": \(envText)}\n"
        }
        let bytes = Data(lines.utf8)
        let writer = Thread {
            input.fileHandleForWriting.write(bytes)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "cel-python is needed: pip install cel-python==0.5.0")
        return try String(decoding: answer, as: UTF8.self).split(separator: "\n").map { line in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard let value = object["value"] else { return nil }
            if object["kind"] as? String == "bool", let b = value as? Bool { return .bool(b) }
            return json(value)
        }
    }

    /// JSON from cel-python; booleans only at the top level, which `kind` marks.
    static func json(_ value: Any) -> JSONValue {
        switch value {
        case let n as NSNumber: .number(n.doubleValue)
        case let s as String: .string(s)
        case let a as [Any]: .array(a.map(json))
        case let o as [String: Any]: .object(o.mapValues(json))
        default: .null
        }
    }

    static func ours(_ source: String) -> JSONValue? {
        guard let expression = try? Expression(parsing: source) else { return nil }
        return try? expression.evaluate(env)
    }

    static let handPicked = [
        #"'\u00e9' == 'e\u0301'"#, #"size('e\u0301')"#, #"'e\u0301'.startsWith('e')"#, #"'a\u0301' < 'b'"#,
        #"'\u00e9' > 'f'"#, "'\u{301}' == '\\u0301'", #"size(event.properties.name)"#,
        #"event.properties.name.endsWith('e')"#, #"event.properties.name.endsWith('\u0301')"#,
        #"customer.city == 'Zu\u0308rich'"#, #"customer.city.contains('\u00fc')"#, "has(customer.phone)",
        "has(event.properties.coupon)", "has(customer.fax)", "event.properties.price >= 10.0",
        "'tea' in event.properties.tags", "size(event.properties.tags) == 2",
        "customer.locale.startsWith('zh') && event.properties.price < 100.0", "!has(customer.fax) || false",
        "customer.first_name == '雷'", "customer.first_name > 'z'", "[1.0, 2.0] + [3.0] == [1.0, 2.0, 3.0]",
        "'a' + 'b' == 'ab'", "true ? 'x' : 'y'", "event.properties.price * 2.0", "-event.properties.price",
        "event.properties['sku']", "customer.missing", "'a' < 1.0", "size(1.0)",
    ]

    @Test("hand-picked expressions: the same value or an error on both sides")
    func handPickedMatch() throws {
        let theirs = try Self.celPython(Self.handPicked)
        #expect(theirs.count == Self.handPicked.count)
        for (source, expected) in zip(Self.handPicked, theirs) {
            #expect(Self.ours(source) == expected, "\(source)")
        }
    }

    @Test("generated string expressions over marks, precomposed letters and emoji agree")
    func generatedMatch() throws {
        let atoms = [
            "''", "'e'", #"'\u00e9'"#, #"'e\u0301'"#, "'\u{301}'", #"'\u0301'"#, "'雷'", "'👍🏽'",
            #"'\U0001F44D'"#,
            "'ab'", "'a\u{200D}b'", "event.properties.name", "customer.city", "customer.first_name", "'Cafe'",
        ]
        var rng = SeededGenerator(seed: 16)
        func atom() -> String { atoms[Int(rng.next() % UInt64(atoms.count))] }
        func term() -> String {
            switch rng.next() % 3 {
            case 0: atom()
            default: "\(atom()) + \(atom())"
            }
        }
        var expressions: [String] = []
        for _ in 0..<600 {
            let a = term()
            let b = term()
            switch rng.next() % 8 {
            case 0: expressions.append("\(a) == \(b)")
            case 1: expressions.append("\(a) < \(b)")
            case 2: expressions.append("\(a) >= \(b)")
            case 3: expressions.append("size(\(a))")
            // The receiver is a single atom: cel-python 0.5.0 makes a concatenation a Python str,
            // on which it finds no string methods.
            case 4: expressions.append("\(atom()).startsWith(\(b))")
            case 5: expressions.append("\(atom()).endsWith(\(b))")
            case 6: expressions.append("\(atom()).contains(\(b))")
            default: expressions.append("\(a) in [\(b), \(atom())]")
            }
        }
        let theirs = try Self.celPython(expressions)
        #expect(theirs.count == expressions.count)
        var disagreements = 0
        for (source, expected) in zip(expressions, theirs) where Self.ours(source) != expected {
            disagreements += 1
            Issue.record(
                "\(source): ours \(String(describing: Self.ours(source))), cel-python \(String(describing: expected))"
            )
            if disagreements > 10 { break }
        }
        #expect(theirs.compactMap { $0 }.count > 500)
    }
}
