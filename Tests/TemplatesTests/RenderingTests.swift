import Testing
import TouchpointCore

@testable import Templates

@Suite("Rendering")
struct RenderingTests {
    private func set(_ sources: [String: String]) throws -> TemplateSet {
        let (set, diagnostics) = TemplateSet.load(sources: sources)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return set
    }

    @Test("email body escapes {{x}} and leaves {{{x}}} raw; subject is not HTML-escaped")
    func htmlEscaping() throws {
        let s = try set([
            "t/email.mustache":
                "---\nsubject: \"{{customer.first_name}} & co\"\npreheader: Hi\n---\n<p>{{customer.note}}</p>{{{customer.note}}}\n"
        ])
        let c = try s.render(
            template: "t", channel: .email, locale: nil,
            context: context(customer: ["first_name": "Tom & <Jerry>", "note": "<b>\"it's\"</b>"])
        ).get()
        #expect(c.subject == "Tom & <Jerry> & co")
        #expect(c.preheader == "Hi")
        #expect(c.html == "<p>&lt;b&gt;&quot;it&#39;s&quot;&lt;/b&gt;</p><b>\"it's\"</b>")
    }

    @Test("sms and chat are plain text: no HTML escaping, trailing newline trimmed")
    func plainTextChannels() throws {
        let s = try set([
            "t/sms.mustache": "Hi {{customer.first_name}} <3 & more\n\n",
            "t/chat.mustache": "{{customer.first_name}} & \"you\"\n",
        ])
        let ctx = context(customer: ["first_name": "A&B"])
        let sms = try s.render(template: "t", channel: .sms, locale: nil, context: ctx).get()
        #expect(sms.text == "Hi A&B <3 & more")
        #expect(sms.html == nil)
        #expect(sms.sms == SMSInfo(encoding: .gsm7, units: 16, segments: 1))
        let chat = try s.render(template: "t", channel: .chat, locale: nil, context: ctx).get()
        #expect(chat.text == "A&B & \"you\"")
        #expect(chat.sms == nil)
    }

    @Test("numbers print without .0 when integral and as written otherwise")
    func numberFormatting() throws {
        let s = try set([
            "t/sms.mustache":
                "{{event.properties.temp}} / {{event.properties.qty}} / {{event.properties.big}}"
        ])
        let c = try s.render(
            template: "t", channel: .sms, locale: nil,
            context: context(properties: ["temp": 38.5, "qty": 10, "big": -3])
        ).get()
        #expect(c.text == "38.5 / 10 / -3")
    }

    @Test("booleans render as true/false and an empty string is not missing")
    func booleansAndEmptyStrings() throws {
        let s = try set(["t/sms.mustache": "[{{customer.vip}}][{{customer.nick}}]"])
        let c = try s.render(
            template: "t", channel: .sms, locale: nil, context: context(customer: ["vip": false, "nick": ""])
        ).get()
        #expect(c.text == "[false][]")
    }

    @Test("Chinese text renders and switches SMS to UCS-2")
    func chineseText() throws {
        let s = try set([
            "t/sms.mustache": "Hi",
            "t/sms.zh-CN.mustache": "{{customer.first_name}}，您的购物车还在等您 {{event.properties.url}}\n",
        ])
        let c = try s.render(
            template: "t", channel: .sms, locale: "zh-CN",
            context: context(
                customer: ["first_name": "雷"], properties: ["url": "https://shop.example/cart/42"])
        ).get()
        #expect(c.text == "雷，您的购物车还在等您 https://shop.example/cart/42")
        #expect(c.sms?.encoding == .ucs2)
        #expect(c.sms?.segments == 1)
        #expect(c.json["segments"] == 1)
    }

    @Test("the text part is derived from the HTML when there is no email.txt")
    func derivedTextPart() throws {
        let s = try set([
            "t/email.mustache": """
            ---
            subject: Hi
            ---
            <html><head><style>p { color: red; }</style></head><body>
            <h1>Hello {{customer.first_name}}</h1>
            <p>Your   cart is
            waiting.<br>Fish &amp; chips &lt;3&nbsp;now</p>
            <p><a href="{{{event.properties.url}}}">View cart</a> · <a href="https://x.example">https://x.example</a></p>
            </body></html>
            """
        ])
        let c = try s.render(
            template: "t", channel: .email, locale: nil,
            context: context(
                customer: ["first_name": "Tom & Ann"], properties: ["url": "https://shop.example/c?a=1&b=2"])
        ).get()
        #expect(
            c.text == """
                Hello Tom & Ann

                Your cart is waiting.
                Fish & chips <3 now

                View cart (https://shop.example/c?a=1&b=2) · https://x.example
                """)
    }

    @Test("an explicit email.txt is the text part, unescaped, for the same locale")
    func explicitTextPart() throws {
        let s = try set([
            "t/email.mustache": "---\nsubject: Hi\n---\n<p>{{customer.first_name}}</p>",
            "t/email.txt.mustache": "Plain {{customer.first_name}}\n",
            "t/email.zh.mustache": "---\nsubject: 你好\n---\n<p>你好 {{customer.first_name}}</p>",
        ])
        let ctx = context(customer: ["first_name": "A&B"])
        let en = try s.render(template: "t", channel: .email, locale: "en", context: ctx).get()
        #expect(en.text == "Plain A&B")
        #expect(en.html == "<p>A&amp;B</p>")
        let zh = try s.render(template: "t", channel: .email, locale: "zh-CN", context: ctx).get()
        #expect(zh.locale == "zh")
        #expect(zh.subject == "你好")
        #expect(zh.text == "你好 A&B")
    }

    @Test(
        "for Slack, every interpolated value has &, < and > escaped (no <!channel>, no disguised link); the template's own markup stays"
    )
    func slackEscaping() throws {
        var s = try set([
            "t/chat.mustache": """
            ---
            buttons:
              - { label: "Hi {{customer.first_name}}", url: "https://shop.example/?a=1&b={{customer.id}}" }
            ---
            *Hello* {{customer.first_name}} & {{{customer.first_name}}} <https://shop.example|your cart>
            """
        ])
        s.slackChat = true
        let hostile = "<!channel> & <https://evil.example|Click here>"
        let c = try s.render(
            template: "t", channel: .chat, locale: nil,
            context: context(customer: ["id": "u&1", "first_name": .string(hostile)])
        ).get()
        let escaped = "&lt;!channel&gt; &amp; &lt;https://evil.example|Click here&gt;"
        #expect(c.text == "*Hello* \(escaped) & \(escaped) <https://shop.example|your cart>")
        #expect(c.buttons == [Button(label: "Hi " + hostile, url: "https://shop.example/?a=1&b=u&1")])
        s.slackChat = false
        let plain = try s.render(
            template: "t", channel: .chat, locale: nil,
            context: context(customer: ["id": "u1", "first_name": .string(hostile)])
        ).get()
        #expect(plain.text.contains(hostile), "without format: slack, chat text is text")
    }

    @Test("chat buttons render their label and url templates")
    func chatButtons() throws {
        let s = try set([
            "t/chat.mustache": """
            ---
            buttons:
              - label: "Open {{customer.first_name}}'s cart"
                url: "https://shop.example/cart/{{customer.id}}?m={{message.id}}"
              - { label: Help, url: "https://shop.example/help" }
            ---
            Your cart is waiting
            """
        ])
        let c = try s.render(
            template: "t", channel: .chat, locale: nil,
            context: context(customer: ["id": "u42", "first_name": "O'Neil"])
        ).get()
        #expect(
            c.buttons == [
                Button(label: "Open O'Neil's cart", url: "https://shop.example/cart/u42?m=m-1"),
                Button(label: "Help", url: "https://shop.example/help"),
            ])
        #expect(c.text == "Your cart is waiting")
        #expect(
            c.json["buttons"] == [
                ["label": "Open O'Neil's cart", "url": "https://shop.example/cart/u42?m=m-1"],
                ["label": "Help", "url": "https://shop.example/help"],
            ])
        #expect(c.json["subject"] == .null)
    }

    @Test("the dry-run content object has every field")
    func contentJSON() throws {
        let s = try set(["t/email.mustache": "---\nsubject: S\n---\n<p>B</p>"])
        let c = try s.render(template: "t", channel: .email, locale: nil, context: context()).get()
        #expect(c.json == ["subject": "S", "text": "B", "html": "<p>B</p>", "buttons": [], "segments": nil])
    }

    @Test("list sections render each element, with names resolved against the element")
    func listSections() throws {
        let s = try set([
            "t/sms.mustache": "{{#event.properties.items}}{{name}} x{{qty}}; {{/event.properties.items}}"
        ])
        let c = try s.render(
            template: "t", channel: .sms, locale: nil,
            context: context(properties: ["items": [["name": "Tea", "qty": 2], ["name": "Cup", "qty": 1]]])
        ).get()
        #expect(c.text == "Tea x2; Cup x1;")
    }
}
