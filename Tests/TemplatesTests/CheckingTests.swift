import Testing
import TouchpointCore

@testable import Templates

@Suite("Checking template variables")
struct CheckingTests {
    @Test("variables are listed with file positions, guards and scopes")
    func variableListing() throws {
        let (set, diagnostics) = TemplateSet.load(sources: [
            "t/email.mustache": """
            ---
            subject: "Hi {{customer.first_name}}"
            ---
            <p>{{#customer.vip}}VIP {{customer.vip.level}}{{/customer.vip}}</p>
            {{#event.properties.items}}{{name}}{{/event.properties.items}}
            """
        ])
        #expect(diagnostics.isEmpty)
        let vars = set.variables(template: "t")
        #expect(
            vars.map(\.written) == [
                "customer.first_name", "customer.vip", "customer.vip.level", "event.properties.items", "name",
            ])
        let subject = try #require(vars.first)
        #expect((subject.line, subject.column) == (2, 14))
        #expect(subject.kind == .variable)
        #expect(subject.guarded == false)
        let level = vars[2]
        #expect((level.line, level.column) == (4, 25))
        #expect(level.guarded)
        #expect(level.scopes == [["customer", "vip"]])
        #expect(vars[1].kind == .section)
        #expect(vars[4].scopes == [["event", "properties", "items"]])
        #expect(vars[4].guarded == false)
    }

    @Test("unknown roots and members are errors with did-you-mean; open-ended ones pass")
    func checkVariables() throws {
        let (set, _) = TemplateSet.load(sources: [
            "t/sms.mustache": """
            {{custmer.first_name}} {{message.idd}} {{rule.name}} {{event.properties.anything.deep}}
            {{customer.any_trait}} {{event.timestamp}} {{message.unsubscribe_url}} {{event.name.x}}
            {{#event.properties.items}}{{name}} {{custmer.x}}{{/event.properties.items}} {{lowercased(customer.a)}}
            {{upercased(customer.a)}} {{.}}
            """
        ])
        let diagnostics = set.checkVariables()
        let messages = diagnostics.map {
            "\($0.location!.line):\($0.location!.column) \($0.severity.rawValue) \($0.message)"
        }
        #expect(
            messages == [
                "1:1 error unknown variable root 'custmer'; did you mean 'customer'?; the context has customer, event, message and rule",
                "1:24 error unknown variable 'message.idd'; did you mean 'id'?; message has id, channel, unsubscribe_url",
                "2:72 error 'event.name' is text and has no member 'x'",
                "3:37 warning 'custmer' is not a context root, so it must come from the enclosing section; did you mean 'customer'?",
                "4:1 error unknown transform 'upercased'; did you mean 'uppercased'?",
            ])
        #expect(diagnostics.allSatisfy { $0.location?.file == "templates/t/sms.mustache" })
    }

    @Test("locales, channels and static SMS estimates")
    func smsEstimate() throws {
        let (set, _) = TemplateSet.load(sources: [
            "t/sms.mustache":
                "Hi {{customer.first_name}}, your cart: {{#event.properties.items}}{{name}}{{/event.properties.items}}\n",
            "t/chat.mustache": "x",
        ])
        #expect(set.staticText(template: "t", channel: .sms, locale: nil) == "Hi , your cart: \n")
        #expect(
            set.estimateSMS(template: "t", locale: "fr") == SMSInfo(encoding: .gsm7, units: 15, segments: 1))
        #expect(set.estimateSMS(template: "x", locale: nil) == nil)
        #expect(set.channels(template: "t") == [.sms, .chat])
        #expect(set.file(template: "t", channel: .sms, locale: "fr")?.path == "templates/t/sms.mustache")
    }
}
