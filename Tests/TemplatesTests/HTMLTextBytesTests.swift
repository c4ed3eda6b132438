import Testing
import TouchpointCore

@testable import Templates

/// The byte-level derivation must give exactly what the Character walk gives; these pin that
/// on hand-picked tricky inputs and on seeded random soup.
@Suite("HTML text derivation over bytes")
struct HTMLTextBytesTests {
    /// Inputs where a byte scanner could easily drift from the Character walk.
    static let tricky: [String] = [
        "",
        "plain",
        "   ",
        "<p></p><p></p>",
        "a\r\nb\r\n\r\nc",
        "a &#13;\nb",
        "x&#10;&#10;y &#9; z",
        "&nbsp;&nbsp;a&nbsp; &#160;b",
        "a\u{A0}\u{A0}b \u{A0} c",
        "&amp;amp; &AMP; &amp &;; &#; &#x; &#xZZ; &#+65; &#-0; &#-1; &#x+41; &#99999999999; &#xD800; &#x110000;",
        "&verylongentityname; &hellip12345678; &#0000000000065;",
        "&#0;<a href='x'>y</a>&#0;",
        "<a href=\"https://a.example\">\n  Buy  \n</a>",
        "<a href=\"mailto:x@y.example\">x@y.example</a> <a href=\"mailto:\">m</a>",
        "<a href=\"#\">top</a><a href=\"\">empty</a><a>nohref</a><a href>bare</a>",
        "<a href='a'><a href='b'>inner</a>outer</a>",
        "<a href=unquoted>u</a><a HREF = \"spaced\" >s</a><a data-href=\"no\" href=\"yes\">t</a>",
        "<a\thref=\"tab\">t</a><a\nhref=\"nl\">n</a><a title=\"x href=y\">q</a>",
        "<a href=\"a&amp;b&lt;c&#62;&#x3C;\">l</a>",
        "<a href=\"https://shop.example/?q=中文\">中文</a>",
        "<a title=\"İstanbul\" href=\"https://x.example\">İ</a>",
        "<a href=\"x\r\ny\">crlf</a>",
        "<a href=\"x&#13;y\">cr</a>",
        "<div>a<div>b</div></div><blockquote>q</blockquote><h3>h</h3><h7>no</h7>",
        "<table><tr><th>A</th><td> B </td></tr></table>",
        "<br><br/><BR /><hr><hr/></hr>x",
        "<style>p{}</style>after<STYLE>x</style >y<script>no</SCRIPT>z<title>t</title",
        "<head><meta></head>body",
        "<!-- c -->a<!-- unterminated",
        "<!doctype html><?xml version=\"1.0\"?>text",
        "1 < 2 <3 </ 4> < /5 <>",
        "<p title='a>b'>quoted > kept</p><p title=\"it's\">x</p>",
        "<p unterminated='>never",
        "<中文>tag</中文> <é>e</é> <a1>x</a1>",
        "你好，世界！ 『引用』 ·•… “quotes” €£¥ 😀🎉 한국어 Ελληνικά Кириллица Tiếng Việt",
        "é vs e\u{301}",
        "e\u{301}&#x301;",
        " \u{301}leading combining",
        "a\u{200D}b \u{200B} zero width",
        "<p>\u{3000}ideographic space\u{3000}</p>",
        "\u{85}nel\u{2028}ls\u{2029}ps",
        "K\u{212A}elvin \u{037E} greek question",
        "<a href=\"#top\u{301}\">x</a>",
        "&amp\u{037E} semicolon lookalike",
        "👍🏽 skin tone, 🇨🇳 flag, ❤️ with selector",
        "<p>a\tb\u{0B}c\u{0C}d</p>",
        "\u{1}\u{7F} controls",
        "<td>x</td><td>y</td>",
        "tail spaces   \n   \n\n\n   next",
    ]

    @Test("tricky inputs: bytes and Characters agree, or the byte path declines")
    func trickyInputsAgree() {
        for input in Self.tricky {
            let reference = HTMLText.deriveByCharacters(from: input)
            if let fast = HTMLText.deriveFromBytes(input) {
                #expect(fast == reference, "input: \(input.debugDescription)")
            }
            #expect(HTMLText.derive(from: input) == reference, "input: \(input.debugDescription)")
        }
    }

    @Test("the byte path handles the text our templates produce and declines exotic scalars")
    func coverage() {
        #expect(HTMLText.deriveFromBytes("你好，世界！ “quotes” € 😀 한국어 Кириллица Tiếng Việt &nbsp;") != nil)
        #expect(HTMLText.deriveFromBytes("<a href=\"https://shop.example/?q=中文\">中文</a>") != nil)
        #expect(HTMLText.deriveFromBytes("e\u{301}") == nil)
        #expect(HTMLText.deriveFromBytes("&#x301;") == nil)
        #expect(HTMLText.deriveFromBytes("a\u{3000}b") == nil)
        #expect(HTMLText.deriveFromBytes("\u{212A}") == nil)
        #expect(HTMLText.deriveFromBytes("<a href=\"x&#13;y\">cr</a>") == nil)
    }

    @Test("outputs of the pre-byte implementation are kept")
    func fixtures() {
        for (input, expected) in Self.fixtures {
            #expect(HTMLText.derive(from: input) == expected, "input: \(input.debugDescription)")
            #expect(HTMLText.deriveByCharacters(from: input) == expected, "input: \(input.debugDescription)")
        }
    }

    /// Input → output of `HTMLText.derive` before the byte path existed (commit dff19f6).
    static let fixtures: [(String, String)] = [
        (
            "<p>Hi Ann,</p><p>You left <strong>Shoes &amp; socks</strong> in your cart.</p>"
                + "<a href=\"https://shop.example/cart?a=1&amp;b=2\" style=\"x\">Return to your cart</a>",
            "Hi Ann,\n\nYou left Shoes & socks in your cart.\n\nReturn to your cart (https://shop.example/cart?a=1&b=2)"
        ),
        (
            "Shop · 88 Example Road<br>You are receiving this. <a href=\"u\">Unsubscribe</a>",
            "Shop · 88 Example Road\nYou are receiving this. Unsubscribe (u)"
        ),
        ("<p>你好 王小明，</p><p>您的购物车里还有 <strong>商品</strong>。</p>", "你好 王小明，\n\n您的购物车里还有 商品。"),
        ("a\r\nb\r\n\r\nc", "a b c"),
        ("&nbsp;&nbsp;a&nbsp; &#160;b", "a  b"),
        ("<a href='a'><a href='b'>inner</a>outer</a>", "inner (b)outer"),
        ("1 < 2 <3 </ 4> < /5 <>", "1 < 2 < /5 <>"),
        ("<p title='a>b'>quoted > kept</p>", "quoted > kept"),
        ("<中文>tag</中文> <é>e</é>", "tag e"),
        ("&#0;<a href='x'>y</a>&#0;", "y (x)"),
    ]

    @Test("seeded random soup: bytes and Characters agree")
    func randomSoupAgrees() {
        let atoms = [
            "<p>", "</p>", "<br>", "<div>", "</div>", "<td>", "</td>", "</tr>", "<table>", "</table>",
            "<a href=\"https://x.example/?a=1&amp;b=2\">", "<a href='mailto:a@b.example'>", "<a href=\"#\">",
            "<a href=u>", "<a>", "</a>", "<style>", "</style>", "<!--", "-->", "<!doctype html>", "<", ">",
            "&amp;", "&nbsp;", "&#160;", "&#x41;", "&#13;", "&#10;", "&bogus;", "&", ";", "#", "x",
            " ", "  ", "\n", "\t", "\r\n", "\u{A0}", "a", "Shop", "中文", "·", "😀", "é", "İ", "\"", "'", "=",
            "e\u{301}", "\u{3000}", "\u{0}", "a@b.example", "https://x.example/?a=1&amp;b=2", "h1", "/",
        ]
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<3000 {
            let count = Int(generator.next() % 24)
            var input = ""
            for _ in 0..<count { input += atoms[Int(generator.next() % UInt64(atoms.count))] }
            let reference = HTMLText.deriveByCharacters(from: input)
            #expect(HTMLText.derive(from: input) == reference, "input: \(input.debugDescription)")
            if let fast = HTMLText.deriveFromBytes(input) {
                #expect(fast == reference, "input: \(input.debugDescription)")
            }
        }
    }
}

/// The whitespace helpers of rendering take a byte path too; it must agree with the Character one.
@Suite("Rendering whitespace helpers over bytes")
struct RenderingWhitespaceTests {
    static let inputs = [
        "", " ", "\n\t ", "a", "  a  ", "\r\na b\r\n", " 中文 标题 ", "x\u{A0}y", "\u{A0}x\u{A0}",
        " \u{301}x", "x \u{301}", "x\u{301} ", "\u{3000}x\u{3000}", "a\u{85}b", "😀  👍🏽 ", "e\u{301} é",
        "Hi Ann,  you\n left\tsomething", "\u{2028}x", "line\u{0B}tab\u{0C}",
    ]

    @Test("oneLine, trimmed and trimmingTrailing equal their Character definitions")
    func agree() {
        for input in Self.inputs {
            let words = input.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(TemplateSet.oneLine(input) == words, "input: \(input.debugDescription)")
            var both = Substring(input)
            while let f = both.first, f.isWhitespace { both = both.dropFirst() }
            while let l = both.last, l.isWhitespace { both = both.dropLast() }
            #expect(TemplateSet.trimmed(input) == String(both), "input: \(input.debugDescription)")
            var tail = Substring(input)
            while let l = tail.last, l.isWhitespace { tail = tail.dropLast() }
            #expect(TemplateSet.trimmingTrailing(input) == String(tail), "input: \(input.debugDescription)")
        }
    }
}
