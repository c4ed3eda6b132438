import Engine
import Foundation
import Templates
import Testing
import TouchpointCore

@Suite("Tracking and bounces in the engine")
struct TrackingWiringTests {
    static let http = """
        default-timezone: Asia/Shanghai
        quiet-hours: none
        http: { listen: "127.0.0.1:0", public-url: "https://t.shop.example", secret: 0123456789abcdef }

        """

    static let rules = """
        rules:
          - name: cart
            when: { event: Product Added }
            send: { template: link, channels: [email] }
          - name: cart-sms
            when: { event: SMS Wanted }
            send: { template: cart, channels: [sms] }
          - name: untracked
            when: { event: Plain Wanted }
            send: { template: plain, channels: [email], tracking: false }
          - name: receipt
            when: { event: Order Completed }
            send: { template: hello, channels: [email] }
            transactional: true
        """

    static var templates: [String: String] {
        var t = Fixture.defaultTemplates
        t["link/email.mustache"] =
            "---\nsubject: Your cart\n---\n<p><a href=\"{{event.properties.cart_url}}\">Back to your cart</a></p>"
        return t
    }

    static let customer = Line.identify(
        "u1", at: "2026-11-20T09:00:00+08:00",
        #"{"email":"a@example.com","phone":"+8613800000000","first_name":"Li"}"#)

    @Test(
        "with http on, the dry-run content carries tracked links and the pixel; the SMS segments are measured after"
    )
    func rewritten() throws {
        let f = Fixture(rules: Self.rules, config: Self.http, templates: Self.templates)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            Self.customer,
            Line.track(
                "u1", "Product Added", at: "2026-11-20T10:00:00+08:00", id: "e1",
                #"{"cart_url":"https://shop.example/cart/1"}"#),
            Line.track(
                "u1", "SMS Wanted", at: "2026-11-20T10:01:00+08:00", id: "e2",
                #"{"cart_url":"https://shop.example/cart/1"}"#),
        ])
        let email = try #require(records.sent.first { $0.rule == "cart" }?.content)
        let html = try #require(email.html)
        #expect(html.contains("https://t.shop.example/o/"))
        #expect(html.contains("<a href=\"https://t.shop.example/c/"))
        #expect(!html.contains("href=\"https://shop.example/cart/1\""))
        let sms = try #require(records.sent.first { $0.rule == "cart-sms" }?.content)
        #expect(sms.text.hasPrefix("Li, your cart: https://t.shop.example/c/"))
        #expect(sms.sms == Templates.SMSInfo.measure(sms.text))
        // The JSON line shows the same content.
        var line: [UInt8] = []
        records.sent.first { $0.rule == "cart-sms" }!.writeJSONLine(into: &line)
        #expect(String(decoding: line, as: UTF8.self).contains("https://t.shop.example/c/"))
    }

    @Test("send.tracking: false leaves the content as rendered; without http nothing is rewritten")
    func optOut() throws {
        let f = Fixture(rules: Self.rules, config: Self.http, templates: Self.templates)
        let records = try f.run([
            Self.customer, Line.track("u1", "Plain Wanted", at: "2026-11-20T10:00:00+08:00", id: "e1"),
        ])
        #expect(records.sent.first?.content?.html == "<p>News for you</p>")
        let off = Fixture(
            rules: Self.rules, config: "default-timezone: Asia/Shanghai\nquiet-hours: none\n",
            templates: Self.templates)
        let plain = try off.run([
            Self.customer,
            Line.track(
                "u1", "SMS Wanted", at: "2026-11-20T10:00:00+08:00", id: "e2",
                #"{"cart_url":"https://shop.example/cart/1"}"#),
        ])
        #expect(plain.sent.first?.content?.text == "Li, your cart: https://shop.example/cart/1")
    }

    @Test("marketing email gets the /u/ unsubscribe link for List-Unsubscribe; transactional gets none")
    func unsubscribeLink() throws {
        let f = Fixture(rules: Self.rules, config: Self.http, templates: Self.templates)
        let records = try f.run([
            Self.customer,
            Line.track(
                "u1", "Product Added", at: "2026-11-20T10:00:00+08:00", id: "e1",
                #"{"cart_url":"https://shop.example/cart/1"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-20T10:05:00+08:00", id: "e2"),
        ])
        #expect(
            records.sent.first { $0.rule == "cart" }?.unsubscribeURL?.hasPrefix("https://t.shop.example/u/")
                == true)
        #expect(records.sent.first { $0.rule == "receipt" }?.unsubscribeURL == nil)
    }

    @Test("a hard bounce holds back every later message to that address, transactional too, as bounced")
    func hardBounce() throws {
        let f = Fixture(rules: Self.rules, config: Self.http, templates: Self.templates)
        let records = try f.run([
            Self.customer,
            Line.track(
                "u1", "Message Bounced", at: "2026-11-20T09:30:00+08:00", id: "b1",
                #"{"type":"hard","channel":"email"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-20T10:00:00+08:00", id: "e1",
                #"{"cart_url":"https://shop.example/cart/1"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-20T10:05:00+08:00", id: "e2"),
            Line.track(
                "u1", "SMS Wanted", at: "2026-11-20T10:06:00+08:00", id: "e3", #"{"cart_url":"https://s/1"}"#),
        ])
        #expect(records.held.map(\.rule) == ["cart", "receipt"])
        #expect(records.held.allSatisfy { $0.reason == .bounced })
        #expect(records.sent.map(\.rule) == ["cart-sms"], "SMS still reaches the customer")
        var line: [UInt8] = []
        records.held[0].writeJSONLine(into: &line)
        #expect(String(decoding: line, as: UTF8.self).contains(#""reason":"bounced""#))
    }

    @Test("a machine open is not learned from: the customer's engagement is as if it never happened")
    func machineOpenNotLearned() throws {
        let f = Fixture(rules: Self.rules, config: Self.http, templates: Self.templates)
        let base = [
            Self.customer,
            Line.track(
                "u1", "Message Sent", at: "2026-11-20T09:10:00+08:00", id: "s1", #"{"channel":"email"}"#),
        ]
        let machine = Line.track(
            "u1", "Message Opened", at: "2026-11-20T09:10:02+08:00", id: "o1",
            #"{"channel":"email","machine":true}"#)
        let person = Line.track(
            "u1", "Message Opened", at: "2026-11-20T20:00:00+08:00", id: "o2", #"{"channel":"email"}"#)
        let withMachine = try f.replay(base + [machine]).replay.engine
        let without = try f.replay(base).replay.engine
        let withPerson = try f.replay(base + [person]).replay.engine
        #expect(withMachine.customers["u1"]?.engagement == without.customers["u1"]?.engagement)
        #expect(withPerson.customers["u1"]?.engagement != without.customers["u1"]?.engagement)
    }
}
