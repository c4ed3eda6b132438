import Foundation
import Testing
import TouchpointCore

@testable import Templates

/// Our renderer against swift-mustache 2.1.1 (plus the strict walk) as the oracle: the same
/// bytes, and the same failure, for every template and context tried.
@Suite("Renderer matches swift-mustache")
struct DifferentialTests {
    /// The repository's shipped `templates/` folder.
    static let shippedTemplates = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("templates").path

    @Test("every piece of the shipped templates compiles for our renderer (none falls back)")
    func shippedTemplatesCompile() throws {
        let (set, diagnostics) = TemplateSet.load(directory: Self.shippedTemplates)
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        var pieces = 0
        for files in set.templates.values {
            for file in files.values {
                for piece in file.pieces {
                    pieces += 1
                    #expect(piece.compiled != nil, "\(file.path) falls back to swift-mustache")
                }
            }
        }
        #expect(pieces > 50)
    }

    @Test("shipped templates render byte-identically to swift-mustache for varied contexts")
    func shippedTemplatesMatchOracle() throws {
        let (set, _) = TemplateSet.load(directory: Self.shippedTemplates)
        let oracle = set.viaMustache
        var rng = SeededGenerator(seed: 7)
        var successes = 0
        var failures = 0
        for name in set.templateNames {
            for channel in Channel.allCases where set.channels(template: name).contains(channel) {
                for locale in [nil, "zh-CN", "fr"] as [String?] {
                    for _ in 0..<80 {
                        let ctx = ContextFuzzer.engineContext(&rng)
                        let ours = set.render(template: name, channel: channel, locale: locale, context: ctx)
                        let theirs = oracle.render(template: name, channel: channel, locale: locale, context: ctx)
                        #expect(ours == theirs, "\(name) \(channel) \(locale ?? "-") \(ctx)")
                        if case .success = ours { successes += 1 } else { failures += 1 }
                    }
                }
            }
        }
        // Both outcomes must be exercised for the comparison to mean anything.
        #expect(successes > 2000)
        #expect(failures > 800)
    }

    @Test("generated templates render byte-identically to swift-mustache, in HTML and text pieces")
    func generatedTemplatesMatchOracle() throws {
        var rng = SeededGenerator(seed: 42)
        var compiled = 0
        var fellBack = 0
        var rejected = 0
        var rendered = 0
        for round in 0..<2000 {
            var generator = TemplateFuzzer(rng: rng)
            let source = generator.template(depth: 0)
            rng = generator.rng
            let html = round % 2 == 0
            guard
                case .success(let piece) = TemplatePiece.parse(
                    source, html: html, file: "f", lineOffset: 0, columnOffset: 0)
            else {
                rejected += 1
                continue
            }
            if piece.compiled == nil {
                fellBack += 1
                continue
            }
            compiled += 1
            for _ in 0..<8 {
                let ctx = ContextFuzzer.letters(&rng, depth: 0)
                var ours: Any?
                var theirs: Any?
                let a = piece.render(context: ctx, converted: &ours)
                let b = piece.renderViaMustache(context: ctx, converted: &theirs)
                #expect(a == b, "template \(source.debugDescription) html: \(html) context \(ctx)")
                if case .success = a { rendered += 1 }
            }
        }
        #expect(compiled > 1200, "compiled \(compiled), fell back \(fellBack), rejected \(rejected)")
        #expect(rendered > 5000)
    }

    @Test("HTML escaping is per Character: a special character joined to a combining mark is kept")
    func escapingFollowsGraphemes() throws {
        let cases: [(String, String)] = [
            ("<b>&\"'", "&lt;b&gt;&amp;&quot;&#39;"),
            ("<\u{301}x", "<\u{301}x"),
            ("a&\u{200D}b", "a&\u{200D}b"),
            ("\u{0600}<", "\u{0600}<"),
            ("é<", "é&lt;"),
            ("<é", "&lt;é"),
            ("雷&雷", "雷&amp;雷"),
            ("", ""),
            ("plain", "plain"),
        ]
        for (input, expected) in cases {
            var out: [UInt8] = []
            HTMLEscape.append(input, to: &out)
            let escaped = String(decoding: out, as: UTF8.self)
            #expect(escaped == expected, "\(input.debugDescription)")
            #expect(escaped == HTMLEscape.escapedByCharacter(input), "\(input.debugDescription)")
        }
    }

    @Test("trimming the rendered bytes gives what trimming the rendered String gave")
    func byteTrimming() throws {
        let inputs = [
            "", "  ", " a ", "\n<p>x</p>\n", " é ", "e\u{301} ", "\u{3000}x\u{3000}", "x\u{301}\n", " \u{301}a",
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
            var cache: Any?
            #expect(piece.render(context: ["v": value], converted: &cache) == result, "\(value)")
            var oracleCache: Any?
            #expect(piece.renderViaMustache(context: ["v": value], converted: &oracleCache) == result, "\(value)")
        }
        var cache: Any?
        #expect(piece.render(context: [:], converted: &cache) == .success("<none>"))
    }

    @Test("numbers print as swift-mustache printed the Int or Double they became")
    func numbers() throws {
        let piece = try #require(
            try? TemplatePiece.parse("{{n}}", html: true, file: "f", lineOffset: 0, columnOffset: 0).get())
        let expected: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (42, "42"), (-3, "-3"), (19.99, "19.99"), (0.1, "0.1"), (1e21, "1e+21"),
            (1e-7, "1e-07"), (9_007_199_254_740_991, "9007199254740991"),
            (9_007_199_254_740_992, "9007199254740992.0"), (-9_007_199_254_740_991, "-9007199254740991"),
        ]
        for (n, text) in expected {
            var cache: Any?
            #expect(piece.render(context: ["n": .number(n)], converted: &cache) == .success(text), "\(n)")
            var oracleCache: Any?
            #expect(
                piece.renderViaMustache(context: ["n": .number(n)], converted: &oracleCache) == .success(text),
                "\(n)")
        }
    }

    @Test("standalone section, comment and delimiter lines leave no blank lines, as in swift-mustache")
    func standaloneLines() throws {
        let source =
            "a\n  {{#x}}\n  {{! note }}\n  {{y}}\n  {{/x}}  \r\n{{=<% %>=}}\n<%#x%>\n b <%y%>\n\t<%/x%>\nend {{y}}\n"
        let piece = try #require(
            try? TemplatePiece.parse(source, html: false, file: "f", lineOffset: 0, columnOffset: 0).get())
        #expect(piece.compiled != nil)
        var cache: Any?
        let ours = piece.render(context: ["x": true, "y": "Y"], converted: &cache)
        #expect(ours == .success("a\n  Y\n b Y\nend {{y}}\n"))
        #expect(ours == piece.renderViaMustache(context: ["x": true, "y": "Y"], converted: &cache))
    }

    @Test(
        "pieces with transforms, a current-frame name inside an inverted section, or a delimiter change scoped to a section keep swift-mustache"
    )
    func fallbacks() throws {
        for source in [
            "{{uppercased(x)}}", "{{^x}}{{.}}{{/x}}", "{{^x}}{{#y}}{{.a}}{{/y}}{{/x}}",
            "{{#x}}{{=<% %>=}}<%/x%>{{y}}",
        ] {
            let piece = try #require(
                try? TemplatePiece.parse(source, html: false, file: "f", lineOffset: 0, columnOffset: 0).get())
            #expect(piece.compiled == nil, "\(source)")
        }
        let piece = try #require(
            try? TemplatePiece.parse(
                "{{uppercased(x)}}", html: false, file: "f", lineOffset: 0, columnOffset: 0
            ).get())
        var cache: Any?
        #expect(piece.render(context: ["x": "abc"], converted: &cache) == .success("ABC"))
    }
}

extension TemplateSet {
    /// The same set with every piece on the swift-mustache path: the oracle.
    var viaMustache: TemplateSet {
        var copy = self
        for (name, files) in copy.templates {
            var files = files
            for (key, var file) in files {
                file.body.compiled = nil
                file.subject?.compiled = nil
                file.preheader?.compiled = nil
                for i in file.buttons.indices {
                    file.buttons[i].label.compiled = nil
                    file.buttons[i].url.compiled = nil
                }
                files[key] = file
            }
            copy.templates[name] = files
        }
        return copy
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
    static func letters(_ rng: inout SeededGenerator, depth: Int) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for key in ["a", "b", "c", "x", "list"] {
            switch rng.next() % 8 {
            case 0: continue
            case 1 where depth < 2: object[key] = letters(&rng, depth: depth + 1)
            case 2 where depth < 2:
                object[key] = .array((0..<Int(rng.next() % 3)).map { _ in
                    rng.next() % 2 == 0 ? letters(&rng, depth: depth + 1) : pick(scalars, &rng)
                })
            default: object[key] = pick(scalars, &rng)
            }
        }
        return .object(object)
    }
}

/// Random Mustache sources over a small grammar: text with newlines and HTML-special and
/// combining characters, every tag kind, standalone lines, comments, pragmas and delimiter changes.
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
    private static let names = ["a", "b", "c", "x", "a.b", "b.c", "list", "x.a.b", ".", ".a", "a..b", "list.a"]

    private mutating func pick<T>(_ xs: [T]) -> T {
        xs[Int(rng.next() % UInt64(xs.count))]
    }

    mutating func template(depth: Int) -> String {
        var s = ""
        for _ in 0..<Int(rng.next() % 7) { s += element(depth: depth) }
        return s
    }

    private mutating func tag(_ sigil: String, _ name: String) -> String {
        let pad = pick(["", "", " "])
        return open + sigil + pad + name + pad + close
    }

    private mutating func element(depth: Int) -> String {
        switch rng.next() % 14 {
        case 0, 1, 2, 3:
            return pick(Self.texts)
        case 4, 5:
            return tag("", pick(Self.names))
        case 6:
            let name = pick(Self.names)
            return open == "{{" && rng.next() % 2 == 0 ? "{{{\(name)}}}" : tag("&", name)
        case 7, 8, 9:
            guard depth < 3 else { return pick(Self.texts) }
            let name = pick(Self.names)
            let (savedOpen, savedClose) = (open, close)
            let line = rng.next() % 2 == 0
            var s = tag(rng.next() % 2 == 0 ? "#" : "^", name) + (line ? "\n" : "")
            s += template(depth: depth + 1)
            s += (line ? pick(["\n", "  ", ""]) : "") + tag("/", name) + (line ? "\n" : "")
            (open, close) = (savedOpen, savedClose)
            return s
        case 10:
            return pick(["", "  "]) + open + "! note " + close + pick(["", "\n"])
        case 11:
            return open + "%CONTENT_TYPE:" + pick(["TEXT", "HTML"]) + close + pick(["", "\n"])
        case 12:
            let (newOpen, newClose) = pick([("<%", "%>"), ("{{", "}}"), ("[[", "]]")])
            let s = open + "=" + newOpen + " " + newClose + "=" + close + pick(["", "\n"])
            (open, close) = (newOpen, newClose)
            return s
        default:
            return pick([" ", "\n", "  \n"]) + tag("", pick(Self.names)) + pick(["", "\n"])
        }
    }
}
