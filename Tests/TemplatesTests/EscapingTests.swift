import Foundation
import Testing
import TouchpointCore

@testable import Templates

/// Issue 12, item 1: `{{x}}` in HTML is escaped by Unicode scalar, so a `<`, `>` or `"` fused with
/// a combining or prepended mark cannot open an element or leave an attribute. Checked by reading
/// the rendered HTML back with Python's html.parser.
@Suite("HTML escaping against an HTML parser")
struct EscapingTests {
    static let shippedTemplates = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("templates").path
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "HTMLCheck/html_structure.py"
        )
        .path

    /// The payloads of issue 12.
    static let hostile = [
        "\u{0600}<img src=x onerror=alert(document.domain)>\u{0301}",
        "x\"\u{0301} onmouseover=alert(1)",
        "<\u{301}script>alert(1)<\u{301}/script>",
        "'\u{301} onfocus=alert(1) autofocus '",
        "&\u{200D}lt;b&\u{301}gt;",
    ]

    struct Structure: Equatable {
        var tags: [[String]]
        var text: String
    }

    /// What html.parser reads in each document: tags with their attribute names and values, and the text.
    static func parse(_ documents: [String]) throws -> [Structure] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var lines = Data()
        for document in documents {
            lines += try JSONSerialization.data(withJSONObject: document, options: .fragmentsAllowed)
            lines += Data("\n".utf8)
        }
        // Write on another thread: the parser's answers could fill the pipe before we read them.
        let bytes = lines
        let writer = Thread {
            input.fileHandleForWriting.write(bytes)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try String(decoding: answer, as: UTF8.self).split(separator: "\n").map { line in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let tags = try #require(object["tags"] as? [[Any]])
            return Structure(
                tags: tags.map { tag in
                    [tag[0] as? String ?? ""]
                        + ((tag[1] as? [[Any]]) ?? []).flatMap {
                            [$0[0] as? String ?? "", $0[1] as? String ?? "<none>"]
                        }
                },
                text: object["text"] as? String ?? "")
        }
    }

    @Test("the escaper replaces & < > \" ' wherever they stand, marks around them or not")
    func escaperIsByScalar() {
        let cases: [(String, String)] = [
            ("<b>&\"'", "&lt;b&gt;&amp;&quot;&#39;"),
            ("<\u{301}x", "&lt;\u{301}x"),
            ("a&\u{200D}b", "a&amp;\u{200D}b"),
            ("\u{0600}<", "\u{0600}&lt;"),
            ("x\"\u{301}", "x&quot;\u{301}"),
            ("é<", "é&lt;"),
            ("雷&雷", "雷&amp;雷"),
            ("", ""),
            ("plain", "plain"),
        ]
        for (input, expected) in cases {
            var out: [UInt8] = []
            HTMLEscape.append(input, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == expected, "\(input.debugDescription)")
            #expect(HTMLEscape.escape(input) == expected, "\(input.debugDescription)")
        }
    }

    @Test("the shipped thank-you email keeps its elements and attributes whatever the customer's name")
    func shippedThankYou() throws {
        let (set, diagnostics) = TemplateSet.load(directory: Self.shippedTemplates)
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        func render(_ name: String) throws -> RenderedContent {
            let context: JSONValue = [
                "customer": ["id": "u1", "first_name": .string(name)],
                "event": [
                    "name": "Order Completed", "properties": ["order_id": .string(name), "total": 20],
                ],
                "message": [
                    "id": "m1", "channel": "email", "unsubscribe_url": .string("https://u.example/\(name)"),
                ],
                "rule": ["name": "thank-you"],
            ]
            return try set.render(template: "thank-you", channel: .email, locale: nil, context: context).get()
        }
        let plain = try render("Lei")
        let hostile = try Self.hostile.map(render)
        let structures = try Self.parse([plain.html ?? ""] + hostile.compactMap(\.html))
        let baseline = try #require(structures.first)
        #expect(baseline.tags.count > 20)
        for (payload, structure) in zip(Self.hostile, structures.dropFirst()) {
            // The same elements and attributes in the same order; only attribute values that
            // carry data (the order link) may differ, and they must hold the data itself.
            #expect(structure.tags.count == baseline.tags.count, "\(payload.debugDescription)")
            for (ours, base) in zip(structure.tags, baseline.tags) {
                #expect(ours.count == base.count && ours.first == base.first, "\(payload.debugDescription)")
                #expect(
                    Swift.zip(ours, base).enumerated().allSatisfy { k, pair in
                        k % 2 == 0 || k == 0 || pair.0 == pair.1 || pair.0.contains(payload)
                    }, "\(ours) vs \(base)")
            }
            #expect(structure.text.contains("Hi \(payload),"), "\(payload.debugDescription)")
        }
    }

    @Test(
        "random text with specials, marks and quotes never adds an element or attribute, and reads back exactly"
    )
    func fuzzAgainstParser() throws {
        let alphabet: [String] = [
            "<", ">", "&", "\"", "'", "=", "/", " ", "a", "img", "script", "on", "\u{301}", "\u{600}",
            "\u{200D}",
            "\u{20DD}", "\u{1F3FD}", "e", "雷", "&lt;", "&#", "x;", "!--", "\n", "\t", "`",
        ]
        var rng = SeededGenerator(seed: 12)
        var values: [String] = []
        for _ in 0..<3000 {
            var value = ""
            for _ in 0..<Int(rng.next() % 12) { value += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            values.append(value)
        }
        let source = "<p title=\"{{v}}\" data-x='{{v}}'>{{v}}</p>"
        let piece = try #require(
            try? TemplatePiece.parse(source, html: true, file: "f", lineOffset: 0, columnOffset: 0).get())
        let documents = try values.map { try piece.render(context: ["v": .string($0)]).get() }
        let structures = try Self.parse(documents)
        #expect(structures.count == values.count)
        for (value, structure) in zip(values, structures) {
            #expect(
                structure == Structure(tags: [["p", "title", value, "data-x", value], ["/p"]], text: value),
                "\(value.debugDescription) → \(structure)")
        }
    }
}
