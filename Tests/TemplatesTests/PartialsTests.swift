import Testing
import TouchpointCore

@testable import Templates

@Suite("Partials and layouts")
struct PartialsTests {
    static func context(_ customer: [String: JSONValue] = ["id": "u1", "first_name": "Lei"]) -> JSONValue {
        [
            "customer": .object(customer), "event": ["name": "X", "properties": [:]],
            "message": ["id": "m1", "channel": "sms"], "rule": ["name": "r"],
        ]
    }

    @Test("a partial renders where it is named, escaped as the piece that includes it")
    func partialEscaping() throws {
        let (set, diagnostics) = TemplateSet.load(sources: [
            "_partials/sign.mustache": "-- {{customer.first_name}}",
            "t/sms.mustache": "Hi\n{{> sign}}\n",
            "t/email.mustache": "---\nsubject: Hi {{> sign}}\n---\n<p>{{> sign}}</p>\n",
        ])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let name = Self.context(["id": "u1", "first_name": "<Lei>"])
        #expect(
            try set.render(template: "t", channel: .sms, locale: nil, context: name).get().text
                == "Hi\n-- <Lei>")
        let email = try set.render(template: "t", channel: .email, locale: nil, context: name).get()
        #expect(email.html == "<p>-- &lt;Lei&gt;</p>")
        #expect(email.subject == "Hi -- <Lei>")
    }

    @Test("partials follow the including file's locale: zh-CN, then zh, then the default")
    func partialLocales() throws {
        let (set, diagnostics) = TemplateSet.load(sources: [
            "_partials/stop.mustache": "Reply STOP to opt out", "_partials/stop.zh.mustache": "回复 TD 退订",
            "t/sms.mustache": "Hi. {{> stop}}", "t/sms.zh-CN.mustache": "你好。{{> stop}}",
        ])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let ctx = Self.context()
        #expect(
            try set.render(template: "t", channel: .sms, locale: "zh-CN", context: ctx).get().text
                == "你好。回复 TD 退订")
        #expect(
            try set.render(template: "t", channel: .sms, locale: "fr", context: ctx).get().text
                == "Hi. Reply STOP to opt out")
        #expect(set.partialNames == ["stop"])
    }

    @Test("a layout is a parent template: blocks override its defaults, and its lines keep their indentation")
    func layouts() throws {
        let (set, diagnostics) = TemplateSet.load(sources: [
            "_partials/layout.mustache":
                "<html>\n  <body>\n    {{$body}}\n    nothing\n    {{/body}}\n    <p>{{$footer}}Shop{{/footer}}</p>\n  </body>\n</html>\n",
            "t/email.mustache":
                "---\nsubject: Hi\n---\n{{<layout}}\n{{$body}}\n<h1>Hi {{customer.first_name}}</h1>\n<p>Welcome</p>\n{{/body}}\n{{/layout}}\n",
        ])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let email = try set.render(template: "t", channel: .email, locale: nil, context: Self.context()).get()
        #expect(
            email.html
                == "<html>\n  <body>\n    <h1>Hi Lei</h1>\n    <p>Welcome</p>\n    <p>Shop</p>\n  </body>\n</html>"
        )
    }

    @Test(
        "a variable missing inside a partial suppresses the message, naming the partial's file; check agrees")
    func strictThroughPartials() throws {
        let (set, _) = TemplateSet.load(sources: [
            "_partials/sign.mustache": "\n-- {{customer.first_name}}", "t/sms.mustache": "Hi{{> sign}}",
        ])
        let ctx = Self.context(["id": "u1"])
        let expected = RenderFailure.missingVariable(
            name: "customer.first_name", template: "t", file: "templates/_partials/sign.mustache")
        #expect(set.render(template: "t", channel: .sms, locale: nil, context: ctx).failure == expected)
        #expect(set.check(template: "t", channel: .sms, locale: nil, context: ctx).failure == expected)
        #expect(throws: Never.self) {
            try set.check(template: "t", channel: .sms, locale: nil, context: Self.context()).get()
        }
    }

    @Test("recursion through data ends; a partial that always includes itself is a render error, not a hang")
    func boundedRecursion() throws {
        let (set, diagnostics) = TemplateSet.load(sources: [
            "_partials/node.mustache": "{{name}}({{#children}}{{> node}}{{/children}})",
            "_partials/loop.mustache": "x{{> loop}}",
            "t/sms.mustache": "{{#event.properties.tree}}{{> node}}{{/event.properties.tree}}",
            "u/sms.mustache": "{{> loop}}",
        ])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let tree: JSONValue = [
            "name": "a", "children": [["name": "b", "children": [["name": "c", "children": []]]]],
        ]
        let ctx: JSONValue = [
            "customer": ["id": "u1"], "event": ["name": "X", "properties": ["tree": tree]], "message": [:],
            "rule": [:],
        ]
        #expect(
            try set.render(template: "t", channel: .sms, locale: nil, context: ctx).get().text == "a(b(c()))")
        guard
            case .failure(.renderError(let message)) = set.render(
                template: "u", channel: .sms, locale: nil, context: ctx)
        else {
            Issue.record("a partial including itself must fail")
            return
        }
        #expect(message.contains("nested deeper than 32"))
        #expect(
            set.check(template: "u", channel: .sms, locale: nil, context: ctx).failure
                == .renderError(message))
    }

    @Test(
        "check lists a partial's variables at their place in the partial, inside the sections around the tag")
    func checkSeesThroughPartials() throws {
        let (set, _) = TemplateSet.load(sources: [
            "_partials/item.mustache": "{{name}} for {{custmer.first_name}}",
            "t/sms.mustache": "{{#event.properties.items}}{{> item}}{{/event.properties.items}}",
            "u/sms.mustache": "{{> item}}",
        ])
        let item = set.variables(template: "t").filter { $0.file == "templates/_partials/item.mustache" }
        #expect(item.map(\.written) == ["name", "custmer.first_name"])
        #expect(item.first?.scopes == [["event", "properties", "items"]])
        #expect(item.last?.column == 14)
        let diagnostics = set.checkVariables()
        // `name` is fine inside the list; at the top level of `u` it is an unknown root. The
        // misspelt root is one error (from `u`), and inside `t`'s list only a warning.
        #expect(diagnostics.filter { $0.severity == .error && $0.message.contains("'custmer'") }.count == 1)
        #expect(diagnostics.contains { $0.message.contains("unknown variable root 'name'") })
    }

    @Test("a partial that is missing for one locale only is an error at that file's tag")
    func missingForALocale() throws {
        let (_, diagnostics) = TemplateSet.load(sources: [
            "_partials/stop.zh.mustache": "回复 TD 退订", "t/sms.mustache": "Hi\n  {{> stop}}",
            "t/sms.zh.mustache": "你好{{> stop}}",
        ])
        #expect(diagnostics.count == 1)
        let d = try #require(diagnostics.first)
        #expect(d.location?.description == "templates/t/sms.mustache:2:3")
        #expect(
            d.message
                == "partial 'stop' has no file for the default locale (it has zh); add templates/_partials/stop.mustache"
        )
    }

    @Test("the SMS size estimate counts the static text of partials and layouts")
    func staticTextThroughPartials() throws {
        let (set, _) = TemplateSet.load(sources: [
            "_partials/sms.mustache": "{{$body}}{{/body}} Reply STOP to opt out",
            "t/sms.mustache": "{{<sms}}{{$body}}Your cart is waiting{{#x}}, {{x}}{{/x}}.{{/body}}{{/sms}}",
        ])
        #expect(
            set.staticText(template: "t", channel: .sms, locale: nil)
                == "Your cart is waiting. Reply STOP to opt out")
    }
}
