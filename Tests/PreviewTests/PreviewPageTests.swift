import Engine
import Foundation
import Testing
import TouchpointCore

@testable import Preview

@Suite("Preview page")
struct PreviewPageTests {
    let records: [MessageRecord]
    let page: String

    init() throws {
        records = try Story.records()
        page = PreviewPage.render(records: records, title: "Dry run <preview>")
    }

    @Test("the story yields email, SMS, chat and held-back records to preview")
    func storyShape() {
        #expect(Set(records.compactMap(\.channel)) == [.email, .sms, .chat])
        #expect(records.filter { $0.decision == .suppressed }.count == 2)
    }

    @Test("a fallback follow-up says which send it follows, on a sent card and a held-back one")
    func fallbackCard() throws {
        var sent = try #require(records.first { $0.decision == .send && $0.channel == .sms })
        sent.fallbackOf = "first<id>"
        #expect(PreviewPage.card(sent).contains("<dt>Fallback of</dt>"))
        #expect(PreviewPage.card(sent).contains("<code>first&lt;id&gt;</code>"))
        var held = try #require(records.first { $0.decision == .suppressed })
        held.fallbackOf = "first-id"
        #expect(PreviewPage.card(held).contains("<code>first-id</code>"))
    }

    @Test("nothing outside the email frames loads from the network")
    func selfContained() {
        let outside = PageScan.outsideSrcdoc(page)
        for tag in PageScan.tags(outside)
        where ["link", "script", "img", "iframe", "source", "embed", "object", "video", "audio"].contains(
            tag.name)
        {
            for attribute in ["src", "href", "data", "poster"] {
                let value = PageScan.attribute(attribute, in: tag.attributes) ?? ""
                #expect(
                    !value.contains("http://") && !value.contains("https://") && !value.hasPrefix("//"),
                    "<\(tag.name) \(attribute)=\(value)>")
            }
        }
        #expect(!outside.contains("@import"))
        #expect(!outside.contains("url(http"))
        #expect(PageScan.count("<script>", in: outside) == 1, "only the page's own inline filter script")
        #expect(outside.contains(#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#))
    }

    @Test("every email frame is sandboxed and carries a policy that blocks remote images")
    func emailFramesSealed() throws {
        let frames = PageScan.tags(PageScan.outsideSrcdoc(page)).filter { $0.name == "iframe" }
        #expect(frames.count == 2)
        for frame in frames { #expect(PageScan.attribute("sandbox", in: frame.attributes) == "") }
        let docs = PageScan.srcdocValues(page).map(PageScan.unescape)
        let email = try #require(docs.first { $0.contains("Fish") })
        #expect(
            email.contains(
                #"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">"#
            ))
        #expect(
            email.contains("https://shop.example/img/1.jpg"),
            "the image stays, blocked by the policy, not rewritten")
        #expect(page.contains("fetches nothing from the network"))
    }

    @Test("a hostile customer id is text, never markup")
    func hostileCustomer() {
        let outside = PageScan.outsideSrcdoc(page)
        #expect(!outside.contains("<script>alert(1)"))
        #expect(outside.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains("<title>Dry run <preview>"))
        #expect(page.contains("<title>Dry run &lt;preview&gt;</title>"))
    }

    @Test("srcdoc holds the email's quotes and ampersands escaped, and decodes back to the exact document")
    func srcdocRoundTrip() throws {
        let email = try #require(records.first { $0.customer == "u-mail" && $0.decision == .send })
        let html = try #require(email.content?.html)
        #expect(html.contains("\"") && html.contains("&amp;"))
        let raw = try #require(PageScan.srcdocValues(page).first { $0.contains("Fish") })
        #expect(!raw.contains("\"") && !raw.contains("<"))
        #expect(raw.contains("Fish &amp;amp; chips for &quot;Mia&quot;"))
        #expect(PageScan.unescape(raw) == EmailDocument.sealed(html))
    }

    @Test(
        "an email card shows subject, preheader, recipient, send time in the customer's zone, rule, locale, id"
    )
    func emailHeader() throws {
        let email = try #require(records.first { $0.customer == "u-mail" && $0.decision == .send })
        let card = PreviewPage.card(email)
        #expect(card.contains(#"<h3 class="subject">Your cart, Mia</h3>"#))
        #expect(card.contains("Saved for you"))
        #expect(card.contains(">u-mail<"))
        #expect(card.contains("<time>2026-11-02 11:00 +08:00</time> · Asia/Shanghai"))
        #expect(card.contains(">cart-abandoned<"))
        #expect(card.contains(">email<"))
        #expect(card.contains(email.messageId))
        #expect(card.contains("cart · default"))
    }

    @Test("an SMS card is a phone bubble with its encoding and segment count")
    func smsBubble() throws {
        let sms = try #require(records.first { $0.channel == .sms })
        let card = PreviewPage.card(sms)
        #expect(card.contains(#"<div class="phone">"#))
        #expect(card.contains(#"<div class="bubble" lang="zh-CN">雷，您的购物车还在等您 https://shop.example/c</div>"#))
        #expect(card.contains(#"<span class="badge encoding">UCS-2</span>"#))
        #expect(card.contains(#"<span class="segments">1 segment</span>"#))
    }

    @Test("a long GSM-7 SMS reports its segments in the plural")
    func smsSegments() throws {
        var story = Story.templates
        story["cart/sms.mustache"] = String(repeating: "Long text ", count: 20)
        story["cart/sms.zh-CN.mustache"] = story["cart/sms.mustache"]
        let fixture = Fixture(rules: Story.rules, templates: story)
        let sms = try #require(try fixture.run(Story.lines).first { $0.channel == .sms })
        #expect(sms.content?.sms?.encoding == .gsm7)
        let card = PreviewPage.card(sms)
        #expect(card.contains(#"<span class="badge encoding">GSM-7</span>"#))
        #expect(card.contains(#"<span class="segments">2 segments</span>"#))
        #expect(card.contains("199 septets"))
    }

    @Test("a chat card shows its buttons as pill links, and a javascript: button is not a link")
    func chatButtons() throws {
        let chat = try #require(records.first { $0.channel == .chat })
        let card = PreviewPage.card(chat)
        #expect(card.contains(#"<div class="bubble">Your cart is waiting, Sam.</div>"#))
        #expect(card.contains(#"<a class="pill" href="https://shop.example/cart""#))
        #expect(card.contains(">View cart</a>"))
        #expect(!card.contains("href=\"javascript:"))
        #expect(
            card.contains(#"<span class="pill inert" title="not linked: javascript:alert(2)">Sneaky</span>"#))
    }

    @Test("a held-back message is a compact card with its reason and detail")
    func heldBackCard() throws {
        let held = try #require(records.first { $0.reason == .cancelled })
        let card = PreviewPage.card(held)
        #expect(card.contains(#"class="card suppressed""#))
        #expect(card.contains(#"data-decision="suppressed""#))
        #expect(card.contains(#"<span class="reason">cancelled</span>"#))
        #expect(card.contains(#"<p class="detail">cancelled by Order Completed</p>"#))
        #expect(!card.contains("<iframe"))
        #expect(card.contains("Was due"))
    }

    @Test("with JavaScript off every card shows and the filter controls stay hidden")
    func readableWithoutScript() {
        #expect(page.contains(#"<div class="filters" id="filters" hidden>"#))
        #expect(PageScan.count("<article class=\"card", in: page) == records.count)
        #expect(!page.contains("<article hidden"))
        #expect(page.contains(#"<option>cart-abandoned</option>"#))
    }

    @Test("the page declares UTF-8 and a language, and Chinese text passes through unescaped")
    func charsetAndLanguage() {
        #expect(page.hasPrefix("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"))
        #expect(page.contains("雷"))
    }

    @Test("cards are ordered by send or due time")
    func cardOrder() {
        let ids = records.sorted { ($0.sendAt ?? $0.dueAt) < ($1.sendAt ?? $1.dueAt) }.map(\.messageId)
        let positions = ids.compactMap { page.range(of: $0)?.lowerBound }
        #expect(positions.count == ids.count)
        #expect(positions == positions.sorted())
    }

    @Test("no records gives a page that says so instead of an empty chart and table")
    func emptyPage() {
        let empty = PreviewPage.render(records: [], title: "Nothing")
        #expect(empty.contains("No rule fired"))
        #expect(empty.contains("nothing to chart"))
        #expect(empty.contains("No messages to show."))
        #expect(!empty.contains("<svg"))
    }
}
