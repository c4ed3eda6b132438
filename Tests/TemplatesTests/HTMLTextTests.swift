import Testing
import TouchpointCore

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

    @Test(
        "an entity whose '&' or ';' is fused with a mark still decodes: escaped data reads back as itself (issue 12)"
    )
    func entitiesFusedWithMarks() {
        // Outside #expect: its expansion mangles a literal holding U+200D.
        let fused = "<p>Hi \u{600}&lt;img src=x&gt;\u{301}, x&quot;\u{301} &amp;\u{200D}lt;</p>"
        let read = "Hi \u{600}<img src=x>\u{301}, x\"\u{301} &\u{200D}lt;"
        #expect(HTMLText.derive(from: fused) == read)
        for name in [
            "\u{0600}<img src=x onerror=alert(document.domain)>\u{0301}", "x\"\u{0301} onmouseover=alert(1)",
            "'\u{301} onfocus=alert(1) autofocus '", "&\u{200D}lt;b&\u{301}gt;",
        ] {
            let html =
                "<p>Hi \(HTMLEscape.escape(name)),</p><a href=\"https://a.example/\(HTMLEscape.escape(name))\">go</a>"
            #expect(
                HTMLText.derive(from: html) == "Hi \(name),\n\ngo (https://a.example/\(name))",
                "\(name.debugDescription)")
            #expect(HTMLText.decodeEntities(HTMLEscape.escape(name)) == name, "\(name.debugDescription)")
        }
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
