import Testing

@testable import Preview

@Suite("Email documents and escaping")
struct EmailDocumentTests {
    private let guardTags =
        #"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"><base target="_blank">"#

    @Test("the policy goes right after <head>, whatever its case and attributes")
    func afterHead() {
        #expect(
            EmailDocument.sealed(
                "<!doctype html><html><HEAD data-x=\"1\"><title>x</title></HEAD><body>b</body></html>")
                == "<!doctype html><html><HEAD data-x=\"1\">" + guardTags
                + "<title>x</title></HEAD><body>b</body></html>")
    }

    @Test("without a head the policy follows <html>, or the doctype, or leads the fragment")
    func noHead() {
        #expect(
            EmailDocument.sealed("<html lang=\"zh\"><p>x</p></html>") == "<html lang=\"zh\">" + guardTags
                + "<p>x</p></html>")
        #expect(
            EmailDocument.sealed("<!DOCTYPE html>\n<p>x</p>") == "<!DOCTYPE html>" + guardTags + "\n<p>x</p>")
        #expect(EmailDocument.sealed("<p>x</p>") == guardTags + "<p>x</p>")
        #expect(EmailDocument.sealed("") == guardTags)
    }

    @Test("<header> and <htmlfoo> are not mistaken for <head> and <html>")
    func tagNameBoundary() {
        #expect(EmailDocument.sealed("<header>h</header>") == guardTags + "<header>h</header>")
        #expect(EmailDocument.sealed("<htmlfoo>") == guardTags + "<htmlfoo>")
    }

    @Test("non-ASCII before the head keeps the insertion point on a character boundary")
    func unicodeOffsets() {
        #expect(EmailDocument.sealed("<!-- 雷 --><head></head>") == "<!-- 雷 --><head>" + guardTags + "</head>")
    }

    @Test("escaping covers the five markup characters and leaves the rest alone")
    func escaping() {
        #expect(
            HTML.escape(#"<a href="x" title='y'>&</a>"#)
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTML.escape("雷 plain") == "雷 plain")
        #expect(HTML.escape("") == "")
    }

    @Test("a markup character fused with a combining or prepended mark is escaped too (issue 12)")
    func escapingByScalar() {
        #expect(
            HTML.escape("\u{600}<img src=x onerror=alert(1)>\u{301}")
                == "\u{600}&lt;img src=x onerror=alert(1)&gt;\u{301}")
        #expect(HTML.escape("x\"\u{301} onmouseover=alert(1)") == "x&quot;\u{301} onmouseover=alert(1)")
    }

    @Test("only http, https, mailto and tel links are followable")
    func safeLinks() {
        #expect(HTML.isSafeLink("https://shop.example/x"))
        #expect(HTML.isSafeLink("HTTP://shop.example"))
        #expect(HTML.isSafeLink("mailto:a@example.com"))
        #expect(!HTML.isSafeLink("javascript:alert(1)"))
        #expect(!HTML.isSafeLink(" JavaScript:alert(1)"))
        #expect(!HTML.isSafeLink("\u{01}javascript:alert(1)"))
        #expect(!HTML.isSafeLink("data:text/html,<script>"))
        #expect(!HTML.isSafeLink("/relative"))
    }

    @Test("lang attributes keep only tag characters")
    func languageTags() {
        #expect(HTML.languageTag("zh-CN") == "zh-CN")
        #expect(HTML.languageTag("en_GB") == "en-GB")
        #expect(HTML.languageTag("\"><script>") == "script")
        #expect(HTML.languageTag(nil) == nil)
        #expect(HTML.languageTag("<>") == nil)
    }
}
