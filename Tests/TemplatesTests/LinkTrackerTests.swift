import Testing
import TouchpointCore

@testable import Templates

@Suite("Link tracking after rendering")
struct LinkTrackerTests {
    let tracker = LinkTracker(publicURL: "https://t.shop.example/", secret: "0123456789abcdef")
    let key = HMAC.Key(Array("0123456789abcdef".utf8))
    let issued = Instant(seconds: 1_795_000_000)

    func decode(_ url: String, _ kind: TrackingToken.Kind = .click) -> TrackingToken? {
        let prefix = kind == .open ? "https://t.shop.example/o/" : "https://t.shop.example/c/"
        guard url.hasPrefix(prefix) else { return nil }
        return try? TrackingToken.decode(Substring(url.dropFirst(prefix.count)), kind: kind, key: key).get()
    }

    /// The tracked URLs in `text`, in order.
    func tracked(_ text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let r = rest.range(of: "https://t.shop.example/") {
            let tail = rest[r.lowerBound...]
            let end =
                tail[r.upperBound...].firstIndex {
                    $0 == "\"" || $0 == "'" || $0 == " " || $0 == "\n" || $0 == "<" || $0 == "，" || $0 == "."
                } ?? tail.endIndex
            out.append(String(tail[..<end]))
            rest = tail[end...]
        }
        return out
    }

    @Test(
        "email hrefs become signed click links to the same targets; other schemes and our own links stay; the pixel goes before </body>"
    )
    func email() throws {
        let html = """
            <html><body><!-- <a href="https://in.comment/"> -->
            <p><a class="btn" href="https://shop.example/cart/42?a=1&amp;b=2">Cart</a>
            <A HREF='https://shop.example/sale'>Sale</A> <a href=https://shop.example/cart/42?a=1&b=2>again</a>
            <a href="mailto:help@shop.example">mail</a> <a href="#top">top</a>
            <a href="https://t.shop.example/u/abc">unsubscribe</a></p>
            </BODY></html>
            """
        let content = RenderedContent(
            template: "t", channel: .email, locale: nil, subject: "s",
            text: "Cart: https://shop.example/cart/42?a=1&b=2 and https://shop.example/new.", html: html)
        let out = tracker.rewrite(
            content, messageId: "0123456789abcdef0123456789abcdef", customer: "u42", issuedAt: issued)
        let h = try #require(out.html)
        #expect(h.contains("<!-- <a href=\"https://in.comment/\"> -->"))
        #expect(h.contains("href=\"mailto:help@shop.example\"") && h.contains("href=\"#top\""))
        #expect(h.contains("href=\"https://t.shop.example/u/abc\""))
        #expect(!h.contains("href=\"https://shop.example"))
        let links = tracked(h).filter { $0.contains("/c/") }
        let tokens = links.compactMap { decode($0) }
        #expect(tokens.count == 3)
        #expect(
            tokens.map(\.url) == [
                "https://shop.example/cart/42?a=1&b=2", "https://shop.example/sale",
                "https://shop.example/cart/42?a=1&b=2",
            ])
        #expect(tokens.map(\.linkIndex) == [0, 1, 0], "the same URL is the same link")
        #expect(tokens.allSatisfy { $0.customer == "u42" && $0.channel == .email && $0.issuedAt == issued })
        #expect(h.contains("<A HREF='https://t.shop.example/c/"), "the quote style is kept")
        // The pixel, once, right before </BODY>.
        let pixel = try #require(h.range(of: "<img src=\"https://t.shop.example/o/"))
        #expect(h[pixel.lowerBound...].contains("</BODY>"))
        let pixelToken = tracked(String(h[pixel.lowerBound...])).first.flatMap { decode($0, .open) }
        #expect(pixelToken?.messageId == "0123456789abcdef0123456789abcdef")
        // The text part's URLs share the HTML's indices; trailing punctuation stays text.
        let textTokens = tracked(out.text).compactMap { decode($0) }
        #expect(textTokens.map(\.linkIndex) == [0, 2])
        #expect(textTokens.last?.url == "https://shop.example/new")
        #expect(out.text.hasSuffix("."))
    }

    @Test("SMS URLs end at CJK punctuation, and the segments are measured again")
    func sms() throws {
        let text = "雷，您的购物车还在等您 https://shop.example/cart/42，谢谢"
        let content = RenderedContent(
            template: "t", channel: .sms, locale: "zh-CN", text: text, sms: SMSInfo.measure(text))
        let out = tracker.rewrite(content, messageId: "m1", customer: "u42", issuedAt: issued)
        #expect(out.text.hasPrefix("雷，您的购物车还在等您 https://t.shop.example/c/"))
        #expect(out.text.hasSuffix("，谢谢"))
        #expect(decode(tracked(out.text)[0])?.url == "https://shop.example/cart/42")
        #expect(out.sms == SMSInfo.measure(out.text))
        #expect(out.sms!.segments > content.sms!.segments)
        #expect(out.html == nil)
    }

    @Test("chat buttons and chat text links are tracked; a button with another scheme is left")
    func chat() {
        let content = RenderedContent(
            template: "t", channel: .chat, locale: nil, text: "See https://shop.example/a",
            buttons: [
                Button(label: "Open", url: "https://shop.example/a"), Button(label: "Call", url: "tel:+1555"),
            ])
        let out = tracker.rewrite(content, messageId: "m1", customer: "u1", issuedAt: issued)
        #expect(decode(out.buttons[0].url)?.url == "https://shop.example/a")
        #expect(decode(out.buttons[0].url)?.linkIndex == 0)
        #expect(out.buttons[1].url == "tel:+1555")
        #expect(decode(tracked(out.text)[0])?.linkIndex == 0)
    }

    @Test("HTML without a body gets the pixel at the end; text without links is unchanged")
    func edges() {
        let content = RenderedContent(
            template: "t", channel: .email, locale: nil, text: "hello", html: "<p>hi</p>")
        let out = tracker.rewrite(content, messageId: "m1", customer: "u1", issuedAt: issued)
        #expect(out.html?.hasPrefix("<p>hi</p><img src=\"https://t.shop.example/o/") == true)
        #expect(out.text == "hello")
        // An unterminated attribute is not rewritten and does not crash.
        let broken = RenderedContent(
            template: "t", channel: .email, locale: nil, text: "", html: "<a href=\"https://x.example/")
        #expect(
            tracker.rewrite(broken, messageId: "m", customer: "u", issuedAt: issued).html?.hasPrefix(
                "<a href=\"https://x.example/") == true)
    }
}
