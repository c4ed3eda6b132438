import Testing
import TouchpointCore

@testable import Templates

@Suite("Strict variables")
struct StrictTests {
    private func render(_ template: String, _ ctx: JSONValue, channel: Channel = .sms) throws -> Result<
        RenderedContent, RenderFailure
    > {
        let file = channel == .email ? "email.mustache" : "\(channel.rawValue).mustache"
        let (set, diagnostics) = TemplateSet.load(sources: ["t/\(file)": template])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return set.render(template: "t", channel: channel, locale: nil, context: ctx)
    }

    private func missing(_ result: Result<RenderedContent, RenderFailure>) -> String? {
        if case .failure(.missingVariable(let name, _, _)) = result { return name }
        return nil
    }

    @Test("a missing top-level root suppresses the message, naming it")
    func missingRoot() throws {
        let result = try render("Hi {{shop.name}}", context())
        #expect(missing(result) == "shop.name")
        #expect(result.failureReason == "missing-variable")
    }

    @Test("a missing nested trait suppresses the message with the file named")
    func missingNested() throws {
        let result = try render("Hi {{customer.first_name}},", context(customer: ["id": "u1"]))
        guard case .failure(.missingVariable(let name, let template, let file)) = result else {
            Issue.record("expected missing variable, got \(result)")
            return
        }
        #expect(name == "customer.first_name")
        #expect(template == "t")
        #expect(file == "templates/t/sms.mustache")
    }

    @Test("null counts as missing, in triple mustache too")
    func nullIsMissing() throws {
        #expect(
            missing(try render("{{{customer.first_name}}}", context(customer: ["first_name": nil])))
                == "customer.first_name")
        #expect(missing(try render("{{customer.a.b}}", context(customer: ["a": nil]))) == "customer.a.b")
    }

    @Test("a variable inside a section that tests it is fine when missing")
    func guardedBySection() throws {
        let t = "Hi{{#customer.first_name}} {{customer.first_name}}{{/customer.first_name}}!"
        #expect(try render(t, context(customer: ["id": "u1"])).get().text == "Hi!")
        #expect(try render(t, context(customer: ["first_name": nil])).get().text == "Hi!")
        #expect(try render(t, context(customer: ["first_name": "Lei"])).get().text == "Hi Lei!")
    }

    @Test("an inverted section renders only when its name is missing, without complaint")
    func invertedSection() throws {
        let t =
            "Hi {{^customer.first_name}}there{{/customer.first_name}}{{#customer.first_name}}{{.}}{{/customer.first_name}}"
        #expect(try render(t, context(customer: ["id": "u1"])).get().text == "Hi there")
        #expect(try render(t, context(customer: ["first_name": "Lei"])).get().text == "Hi Lei")
    }

    @Test("a missing variable inside an inverted section that renders still counts")
    func missingInsideRenderedInvertedSection() throws {
        let t = "{{^customer.vip}}Hi {{customer.first_name}}{{/customer.vip}}"
        #expect(missing(try render(t, context(customer: ["vip": false]))) == "customer.first_name")
        #expect(try render(t, context(customer: ["vip": true])).get().text == "")
    }

    @Test("inside a list section names resolve against the element first, then the context")
    func listElementResolution() throws {
        let t = "{{#event.properties.items}}{{name}} for {{customer.first_name}}; {{/event.properties.items}}"
        let ok = context(properties: ["items": [["name": "Tea"], ["name": "Cup"]]])
        #expect(try render(t, ok).get().text == "Tea for Lei; Cup for Lei;")
        let bad = context(properties: ["items": [["name": "Tea"], ["sku": "C1"]]])
        #expect(missing(try render(t, bad)) == "name")
        let empty = context(properties: ["items": []])
        #expect(try render(t, empty).get().text == "")
    }

    @Test("a section on a map pushes it, so short names resolve inside")
    func objectSection() throws {
        let t = "{{#event.properties.product}}{{title}} {{price}}{{/event.properties.product}}"
        let ctx = context(properties: ["product": ["title": "Tea", "price": 4.5]])
        #expect(try render(t, ctx).get().text == "Tea 4.5")
        #expect(missing(try render(t, context(properties: ["product": ["title": "Tea"]]))) == "price")
    }

    @Test("missing variables in the subject, preheader and text part count too")
    func missingOutsideBody() throws {
        let (set, _) = TemplateSet.load(sources: [
            "t/email.mustache": "---\nsubject: \"Hi {{customer.first_name}}\"\n---\n<p>ok</p>",
            "u/email.mustache": "---\nsubject: Hi\n---\n<p>ok</p>",
            "u/email.txt.mustache": "Hi {{customer.nick}}",
        ])
        let ctx = context(customer: ["id": "u1"])
        #expect(
            missing(set.render(template: "t", channel: .email, locale: nil, context: ctx))
                == "customer.first_name")
        #expect(
            missing(set.render(template: "u", channel: .email, locale: nil, context: ctx)) == "customer.nick")
    }

    @Test("printing a list or map is a render error, not garbage in the message")
    func structuredValueIsRenderError() throws {
        let result = try render("{{event.properties}}", context(properties: ["a": 1]))
        guard case .failure(.renderError(let message)) = result else {
            Issue.record("expected a render error, got \(result)")
            return
        }
        #expect(message.contains("map"))
        #expect(result.failureReason == "render-error")
    }

    @Test("transforms: a known transform renders, an unknown one counts as missing")
    func transforms() throws {
        #expect(try render("{{uppercased(customer.first_name)}}", context()).get().text == "LEI")
        #expect(
            missing(try render("{{upercased(customer.first_name)}}", context()))
                == "upercased(customer.first_name)")
        #expect(
            try render("{{count(event.properties.items)}}", context(properties: ["items": [1, 2]])).get().text
                == "2")
    }
}

extension Result where Failure == RenderFailure {
    var failureReason: String? {
        if case .failure(let f) = self { return f.reason }
        return nil
    }
}
