import Foundation
import Mustache
import Testing
import TouchpointCore

@testable import Templates

/// Our parser and walk against swift-mustache 2.1.1, the reference implementation: wherever our
/// strict render succeeds, the same bytes; and the check-only walk always agrees with the render.
///
/// Known, deliberate differences are kept out of the comparison: swift-mustache escapes by
/// Character (a `<` fused with a combining mark stays raw: the issue-12 bypass), so HTML rounds use
/// values without combining marks; it misses a standalone tag on the first line (the oracle gets a
/// standalone comment line in front); it scopes a delimiter change to its section (the generator
/// changes delimiters at the top level only); and it renders an inverted section over `[]` with
/// `[]` as the frame (templates naming the current frame inside an inverted section are skipped).
@Suite("Renderer matches swift-mustache")
struct DifferentialTests {
    @Test("generated templates render byte-identically to swift-mustache, in HTML and text pieces")
    func generatedTemplatesMatchOracle() throws {
        var rng = SeededGenerator(seed: 42)
        var compared = 0
        var strict = 0
        var rejected = 0
        for round in 0..<2000 {
            var generator = TemplateFuzzer(rng: rng)
            // A last newline: swift-mustache drops the indentation of a last line of tags only.
            let source = generator.template(depth: 0) + "\n"
            rng = generator.rng
            let html = round % 2 == 0
            guard
                case .success(let piece) = TemplatePiece.parse(
                    source, html: html, file: "f", lineOffset: 0, columnOffset: 0)
            else {
                rejected += 1
                continue
            }
            guard !Self.pinsFrameInsideInverted(piece.nodes), !Self.marksFuseWithDelimiters(source) else {
                continue
            }
            // swift-mustache matches delimiters by Character, so a mark right after one breaks its parse.
            guard
                let oracle = try? MustacheTemplate(
                    string: (html ? "{{! oracle }}\n" : "{{%CONTENT_TYPE:TEXT}}\n") + source)
            else {
                rejected += 1
                continue
            }
            for _ in 0..<8 {
                let ctx = ContextFuzzer.letters(&rng, depth: 0, plain: html)
                let ours = piece.render(context: ctx)
                #expect(
                    piece.check(context: ctx) == ours.failure,
                    "check and render disagree on \(source.debugDescription)")
                guard case .success(let text) = ours else {
                    strict += 1
                    continue
                }
                let theirs = oracle.render(MustacheOracle.convert(ctx))
                #expect(text == theirs, "template \(source.debugDescription) html: \(html) context \(ctx)")
                compared += 1
            }
        }
        #expect(compared > 5000, "compared \(compared), strict failures \(strict), rejected \(rejected)")
        #expect(strict > 1000)
    }

    /// Whether a prepended or combining mark touches a delimiter character, which swift-mustache,
    /// reading Characters, then does not see as one.
    static func marksFuseWithDelimiters(_ source: String) -> Bool {
        let scalars = Array(source.unicodeScalars)
        let delimiters = Set<Unicode.Scalar>("{}[]<>%=!#^/&".unicodeScalars)
        for (k, c) in scalars.enumerated() {
            if c == "\u{600}", k + 1 < scalars.count, delimiters.contains(scalars[k + 1]) { return true }
            if c.properties.generalCategory == .nonspacingMark || c == "\u{200D}", k > 0,
                delimiters.contains(scalars[k - 1])
            {
                return true
            }
        }
        return false
    }

    /// Whether a name pinned to the current frame (`{{.}}`, `{{.x}}`) occurs inside an inverted section.
    static func pinsFrameInsideInverted(_ nodes: [MustacheNode], inside: Bool = false) -> Bool {
        nodes.contains { node in
            switch node {
            case .text, .partial, .block: false
            case .variable(let name, _): inside && (name.currentFrameOnly || name.segments.isEmpty)
            case .section(let name, let inverted, let body):
                (inside && (name.currentFrameOnly || name.segments.isEmpty))
                    || pinsFrameInsideInverted(body, inside: inside || inverted)
            }
        }
    }

    @Test("trimming the rendered bytes gives what trimming the rendered String gave")
    func byteTrimming() throws {
        let inputs = [
            "", "  ", " a ", "\n<p>x</p>\n", " é ", "e\u{301} ", "\u{3000}x\u{3000}", "x\u{301}\n",
            " \u{301}a",
            "\r\n", "\t\u{A0}b\u{A0}\n", "雷\n", "\n\n雷", "a\u{85}",
        ]
        for input in inputs {
            let bytes = Array(input.utf8)
            #expect(
                TemplateSet.trimmed(bytes, leading: true).utf8.elementsEqual(TemplateSet.trimmed(input).utf8),
                "\(input.debugDescription)")
            #expect(
                TemplateSet.trimmed(bytes, leading: false).utf8.elementsEqual(
                    TemplateSet.trimmingTrailing(input).utf8),
                "\(input.debugDescription)")
        }
    }

    @Test("section truthiness: 0, \"\" and numbers render with themselves as frame; null, false, [] skip")
    func truthiness() throws {
        let source = "{{#v}}[{{.}}]{{/v}}{{^v}}<none>{{/v}}"
        let piece = try #require(
            try? TemplatePiece.parse(source, html: false, file: "f", lineOffset: 0, columnOffset: 0).get())
        let expected: [(JSONValue, Result<String, StrictProblem>)] = [
            (0, .success("[0]")), ("", .success("[]")), (1.5, .success("[1.5]")),
            (["a", 2], .success("[a][2]")), (nil, .success("<none>")), (false, .success("<none>")),
            ([], .success("<none>")),
            // `true` renders its body without a frame of its own, so `{{.}}` is the root map there.
            (true, .failure(.notAValue(".", typeName: "map"))),
            (["k": 1], .failure(.notAValue(".", typeName: "map"))),
        ]
        for (value, result) in expected {
            #expect(piece.render(context: ["v": value]) == result, "\(value)")
            #expect(piece.check(context: ["v": value]) == result.failure, "\(value)")
        }
        #expect(piece.render(context: [:]) == .success("<none>"))
    }

    @Test("numbers print as swift-mustache printed the Int or Double they became")
    func numbers() throws {
        let piece = try #require(
            try? TemplatePiece.parse("{{n}}", html: true, file: "f", lineOffset: 0, columnOffset: 0).get())
        let oracle = try MustacheTemplate(string: "{{n}}")
        let expected: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (42, "42"), (-3, "-3"), (19.99, "19.99"), (0.1, "0.1"), (1e21, "1e+21"),
            (1e-7, "1e-07"), (9_007_199_254_740_991, "9007199254740991"),
            (9_007_199_254_740_992, "9007199254740992.0"), (-9_007_199_254_740_991, "-9007199254740991"),
        ]
        for (n, text) in expected {
            #expect(piece.render(context: ["n": .number(n)]) == .success(text), "\(n)")
            #expect(oracle.render(MustacheOracle.convert(["n": .number(n)])) == text, "\(n)")
        }
    }

    @Test("transforms render in our walk, as swift-mustache renders them")
    func transforms() throws {
        let cases: [(String, JSONValue, String)] = [
            ("{{uppercased(x)}}", ["x": "abc"], "ABC"), ("{{lowercased(x)}}", ["x": "AbC"], "abc"),
            ("{{capitalized(x)}}", ["x": "hello world"], "Hello World"),
            ("{{count(l)}}", ["l": [1, 2, 3]], "3"),
            ("{{#first(l)}}{{.}}{{/first(l)}}", ["l": ["a", "b"]], "a"), ("{{plusone(n)}}", ["n": 41], "42"),
            ("{{#empty(l)}}none{{/empty(l)}}", ["l": []], "none"),
        ]
        for (source, context, text) in cases {
            let piece = try #require(
                try? TemplatePiece.parse(source, html: false, file: "f", lineOffset: 0, columnOffset: 0).get()
            )
            #expect(piece.render(context: context) == .success(text), "\(source)")
            let oracle = try MustacheTemplate(string: source)
            #expect(oracle.render(MustacheOracle.convert(context)) == text, "\(source)")
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// JSON `null` as swift-mustache sees it: renders as nothing, is falsey in sections, and
/// still occupies its key so that lookups stop there instead of climbing the context stack.
struct MustacheNull: MustacheCustomRenderable, Sendable {
    var renderText: String { "" }
    var isNull: Bool { true }
}

/// Context values as the reference implementation takes them.
enum MustacheOracle {
    static func convert(_ value: JSONValue) -> Any {
        switch value {
        case .null: return MustacheNull()
        case .bool(let b): return b
        case .number(let n): return MustacheTransform.isInteger(n) ? Int(n) : n
        case .string(let s): return s
        case .array(let a): return a.map(convert)
        case .object(let o): return o.mapValues(convert)
        }
    }
}

/// Random contexts: values chosen to hit every rendering and truthiness rule.
enum ContextFuzzer {
    static let scalars: [JSONValue] = [
        nil, true, false, 0, 1, 42, -3, 19.99, 0.1, 1e21, 1e-7, 9_007_199_254_740_993, -0.0,
        "", "Lei", "雷", "Tom & <Jerry>", "O'Neil \"Q\"", "e\u{301}<b>", "\u{0600}<x>", "<\u{301}",
        "a&\u{200D}b", "https://shop.example/c?a=1&b=2", "line\nbreak", "  padded  ", "👩‍👩‍👧 &",
    ]

    static func pick<T>(_ xs: [T], _ rng: inout SeededGenerator) -> T {
        xs[Int(rng.next() % UInt64(xs.count))]
    }

    /// A value for a template variable: usually a scalar, sometimes missing, a list or a map.
    static func value(_ rng: inout SeededGenerator) -> JSONValue? {
        switch rng.next() % 10 {
        case 0: nil
        case 1: .array((0..<Int(rng.next() % 3)).map { _ in pick(scalars, &rng) })
        case 2: .object(["name": pick(scalars, &rng)])
        default: pick(scalars, &rng)
        }
    }

    /// A context shaped like the engine's, with the names the shipped templates use.
    static func engineContext(_ rng: inout SeededGenerator) -> JSONValue {
        var customer: [String: JSONValue] = ["id": "u1"]
        if let v = value(&rng) { customer["first_name"] = v }
        var properties: [String: JSONValue] = [:]
        for key in [
            "order_id", "name", "payment_url", "currency", "cart_url", "url", "checkout_url", "total",
            "amount", "value", "image_url",
        ] {
            if rng.next() % 3 != 0, let v = value(&rng) { properties[key] = v }
        }
        if rng.next() % 2 == 0 {
            properties["products"] = .array(
                (0..<Int(rng.next() % 4)).map { _ in
                    var item: [String: JSONValue] = [:]
                    for key in ["name", "sku", "quantity"] where rng.next() % 5 != 0 {
                        item[key] = pick(scalars, &rng)
                    }
                    return .object(item)
                })
        } else if let v = value(&rng) {
            properties["products"] = v
        }
        var message: [String: JSONValue] = ["id": "m-1", "channel": "email"]
        if rng.next() % 4 != 0 { message["unsubscribe_url"] = pick(scalars, &rng) }
        var rule: [String: JSONValue] = [:]
        if rng.next() % 4 != 0 { rule["name"] = pick(scalars, &rng) }
        return [
            "customer": .object(customer),
            "event": ["name": "Order Completed", "properties": .object(properties)],
            "message": .object(message), "rule": .object(rule),
        ]
    }

    /// A context over the generator's names `a`, `b`, `c`, `x`, `list`, nesting maps and lists.
    /// With `plain`, only values whose Character escaping equals scalar escaping (no marks).
    static func letters(_ rng: inout SeededGenerator, depth: Int, plain: Bool = false) -> JSONValue {
        let values = plain ? scalars.filter(\.isPlain) : scalars
        var object: [String: JSONValue] = [:]
        for key in ["a", "b", "c", "x", "list"] {
            switch rng.next() % 8 {
            case 0: continue
            case 1 where depth < 2: object[key] = letters(&rng, depth: depth + 1, plain: plain)
            case 2 where depth < 2:
                object[key] = .array(
                    (0..<Int(rng.next() % 3)).map { _ in
                        rng.next() % 2 == 0
                            ? letters(&rng, depth: depth + 1, plain: plain) : pick(values, &rng)
                    })
            default: object[key] = pick(values, &rng)
            }
        }
        return .object(object)
    }
}

/// Random Mustache sources over a small grammar: text with newlines and HTML-special and
/// combining characters, every tag kind, standalone lines, comments and delimiter changes.
struct TemplateFuzzer {
    var rng: SeededGenerator
    private var open = "{{"
    private var close = "}}"

    init(rng: SeededGenerator) {
        self.rng = rng
    }

    private static let texts = [
        "x", "Hi ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "<&>\"'", "é", "\u{301}", "雷", "{", "}", "{ {",
        "a\u{0600}", " \n", "text\n  ", "=",
    ]
    private static let names = [
        "a", "b", "c", "x", "a.b", "b.c", "list", "x.a.b", ".", ".a", "a..b", "list.a",
    ]

    private mutating func pick<T>(_ xs: [T]) -> T {
        xs[Int(rng.next() % UInt64(xs.count))]
    }

    /// `inline` keeps every newline out, so that no tag inside an inline section can stand alone:
    /// swift-mustache judges the line after a closing tag by its opening tag's line, and the two
    /// then always agree.
    mutating func template(depth: Int, inline: Bool = false) -> String {
        var s = ""
        for _ in 0..<Int(rng.next() % 7) { s += element(depth: depth, inline: inline) }
        return s
    }

    private mutating func tag(_ sigil: String, _ name: String) -> String {
        let pad = pick(["", "", " "])
        return open + sigil + pad + name + pad + close
    }

    private mutating func text(inline: Bool) -> String {
        let text = pick(Self.texts)
        return inline && (text.contains("\n") || text.contains("\r")) ? " " : text
    }

    private mutating func element(depth: Int, inline: Bool) -> String {
        switch rng.next() % 14 {
        case 0, 1, 2, 3:
            return text(inline: inline)
        case 4, 5:
            return tag("", pick(Self.names))
        case 6:
            let name = pick(Self.names)
            return open == "{{" && rng.next() % 2 == 0 ? "{{{\(name)}}}" : tag("&", name)
        case 7, 8, 9:
            guard depth < 3 else { return text(inline: inline) }
            let name = pick(Self.names)
            let sigil = rng.next() % 2 == 0 ? "#" : "^"
            if inline || rng.next() % 2 == 0 {
                return tag(sigil, name) + template(depth: depth + 1, inline: true) + tag("/", name)
            }
            // A section on lines of its own: both tags stand alone.
            return "\n" + tag(sigil, name) + "\n" + template(depth: depth + 1) + pick(["\n", "\n  "])
                + tag("/", name) + "\n"
        case 10:
            return pick(["", "  "]) + open + "! note " + close + (inline ? "" : pick(["", "\n"]))
        case 11, 12:
            // Delimiters change only at the top level: swift-mustache scopes a change inside a
            // section to it, the spec (and we) keep it for the rest of the template.
            guard depth == 0 else { return text(inline: inline) }
            let (newOpen, newClose) = pick([("<%", "%>"), ("{{", "}}"), ("[[", "]]")])
            let s = open + "=" + newOpen + " " + newClose + "=" + close + pick(["", "\n"])
            (open, close) = (newOpen, newClose)
            return s
        default:
            if inline { return " " + tag("", pick(Self.names)) }
            return pick([" ", "\n", "  \n"]) + tag("", pick(Self.names)) + pick(["", "\n"])
        }
    }
}

extension JSONValue {
    /// A scalar without combining, prepended or joining marks next to an HTML-special character.
    fileprivate var isPlain: Bool {
        guard case .string(let s) = self else { return true }
        return s.unicodeScalars.allSatisfy { $0.isASCII || $0.properties.generalCategory != .nonspacingMark }
            && !s.unicodeScalars.contains { $0.value == 0x600 || $0.value == 0x200D }
    }
}
