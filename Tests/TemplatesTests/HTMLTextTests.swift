import Testing

@testable import Templates

@Suite("Deriving the text part from HTML")
struct HTMLTextTests {
    @Test("links become 'label (url)'; bare, anchor and mailto links stay readable")
    func links() {
        #expect(
            HTMLText.derive(from: #"<a href="https://a.example/x?a=1&amp;b=2">Shop <b>now</b></a>"#)
                == "Shop now (https://a.example/x?a=1&b=2)")
        #expect(
            HTMLText.derive(from: "<a href='https://a.example'>https://a.example</a>") == "https://a.example")
        #expect(HTMLText.derive(from: ##"<a href="#top">Back to top</a>"##) == "Back to top")
        #expect(
            HTMLText.derive(from: #"<a class="btn" HREF="mailto:help@shop.example">help@shop.example</a>"#)
                == "help@shop.example")
        #expect(HTMLText.derive(from: #"<a href="https://x.example"></a>"#) == "https://x.example")
    }

    @Test("entities decode, named and numeric; unknown ones stay")
    func entities() {
        #expect(
            HTMLText.derive(from: "&amp; &lt; &gt; &quot; &#39; a&nbsp;b &#8364; &#x20AC; &bogus; AT&T")
                == "& < > \" ' a b € € &bogus; AT&T")
    }

    @Test("br and block ends break lines; paragraphs get one blank line")
    func lineBreaks() {
        #expect(
            HTMLText.derive(
                from: "<p>One<br/>Two</p><p>Three</p><div>Four</div><ul><li>a</li><li>b</li></ul>")
                == "One\nTwo\n\nThree\n\nFour\na\nb")
        #expect(
            HTMLText.derive(from: "<table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>")
                == "A B\nC")
    }

    @Test("style, head, script and comments vanish")
    func hiddenContent() {
        let html = """
            <!DOCTYPE html><html><head><title>T</title><style>.a{color:red}</style></head>
            <body><!-- hidden <p>no</p> --><script>var a = "<p>";</script><P>Shown</P></body></html>
            """
        #expect(HTMLText.derive(from: html) == "Shown")
    }

    @Test("whitespace runs collapse and lines are trimmed")
    func whitespace() {
        #expect(HTMLText.derive(from: "  <p>  a \n\t  b  </p>\n\n\n  <p>c</p>  ") == "a b\n\nc")
    }

    @Test("a lone '<' that starts no tag is kept as text")
    func loneAngle() {
        #expect(HTMLText.derive(from: "1 < 2 and 3 <4") == "1 < 2 and 3 <4")
    }
}
