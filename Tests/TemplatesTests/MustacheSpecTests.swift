import Foundation
import Testing
import TouchpointCore
import Yams

@testable import Templates

/// The mustache/spec suite (v1.4.x, MIT, vendored under `Tests/MustacheSpec/` with its licence),
/// run against our parser and walk. Every test must render exactly its `expected` text, except
/// the ones listed in `byDesign`, which differ because Touchpoint renders strictly: there the
/// render must fail, naming the missing variable or partial, instead of printing nothing.
@Suite("mustache/spec")
struct MustacheSpecTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("MustacheSpec").path

    /// Spec tests whose data leaves a rendered name missing or null (or names a partial that does
    /// not exist): strict rendering refuses them. The README lists them.
    static let byDesign: [String: Set<String>] = [
        "interpolation": [
            "Basic Null Interpolation", "Triple Mustache Null Interpolation", "Ampersand Null Interpolation",
            "Basic Context Miss Interpolation", "Triple Mustache Context Miss Interpolation",
            "Ampersand Context Miss Interpolation", "Dotted Names - Broken Chains",
            "Dotted Names - Broken Chain Resolution", "Dotted Names - Context Precedence",
            "Dotted Names are never single keys",
        ],
        "sections": [],
        "inverted": [],
        "comments": [],
        "delimiters": [],
        "partials": ["Failed Lookup"],
        "~inheritance": [],
    ]

    /// What we do not implement (yet); the count is reported, and the list is in the README.
    static let notImplemented: [String: Set<String>] = [:]

    struct Case {
        var name: String
        var template: String
        var data: JSONValue
        var partials: [String: String]
        var expected: String
    }

    static func cases(_ file: String) throws -> [Case] {
        let text = try String(contentsOfFile: "\(folder)/\(file).yml", encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let tests = try #require(root["tests"] as? [[String: Any]])
        return try tests.map { test in
            Case(
                name: try #require(test["name"] as? String),
                template: try #require(test["template"] as? String),
                data: json(test["data"] as Any), partials: (test["partials"] as? [String: String]) ?? [:],
                expected: try #require(test["expected"] as? String))
        }
    }

    static func json(_ value: Any) -> JSONValue {
        switch value {
        case let b as Bool: .bool(b)
        case let i as Int: .number(Double(i))
        case let d as Double: .number(d)
        case let s as String: .string(s)
        case let a as [Any]: .array(a.map(json))
        case let o as [String: Any]: .object(o.mapValues(json))
        default: .null
        }
    }

    static func render(_ test: Case) -> Result<String, StrictProblem>? {
        var library = PartialLibrary()
        for (name, source) in test.partials {
            guard
                case .success(let piece) = TemplatePiece.parse(
                    source, html: true, file: name, lineOffset: 0, columnOffset: 0)
            else { return nil }
            library.partials[name] = [nil: .init(nodes: piece.nodes, path: name, locale: nil)]
        }
        guard
            case .success(let piece) = TemplatePiece.parse(
                test.template, html: true, file: "template", lineOffset: 0, columnOffset: 0)
        else { return nil }
        let rendered = piece.render(context: test.data, library: library)
        // The check-only walk must agree with the render on every spec case.
        #expect(piece.check(context: test.data, library: library) == rendered.failure, "\(test.name)")
        return rendered
    }

    @Test(
        "every spec test passes, or fails strictly where the README says it does by design",
        arguments: [
            "comments", "delimiters", "interpolation", "inverted", "partials", "sections", "~inheritance",
        ])
    func spec(file: String) throws {
        let cases = try Self.cases(file)
        var passed = 0
        var strict = 0
        var skipped = 0
        for test in cases {
            if Self.notImplemented[file]?.contains(test.name) == true {
                skipped += 1
                continue
            }
            let result = try #require(Self.render(test), "\(file): \(test.name) does not parse")
            if Self.byDesign[file]?.contains(test.name) == true {
                #expect(result.failure != nil, "\(file): '\(test.name)' was expected to fail strictly")
                strict += 1
                continue
            }
            #expect(
                result == .success(test.expected),
                "\(file): '\(test.name)'\ntemplate: \(test.template.debugDescription)\ngot: \(result)\nexpected: \(test.expected.debugDescription)"
            )
            if result == .success(test.expected) { passed += 1 }
        }
        print(
            "mustache/spec \(file): \(passed) passed, \(strict) strict by design, \(skipped) not implemented, of \(cases.count)"
        )
        #expect(passed + strict + skipped == cases.count)
    }
}
