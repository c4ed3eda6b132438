import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("MIME message")
struct MIMETests {
    let mime = MIMEMessage(from: "shop@mail.example.com", fromName: "小店 Shop")

    func render(_ m: OutboundMessage = Samples.email()) throws -> String {
        String(decoding: try mime.render(m, now: Samples.now), as: UTF8.self)
    }

    @Test(
        "headers carry Date, a Message-ID from the message id and the sender's domain, and RFC 8058 unsubscribe"
    )
    func headers() throws {
        let text = try render()
        #expect(text.contains("\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"))
        #expect(text.contains("\r\nMessage-ID: <0123456789abcdef0123456789abcdef@mail.example.com>\r\n"))
        #expect(text.contains("\r\nList-Unsubscribe: <https://example.com/u/abc?x=1>\r\n"))
        #expect(text.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(text.contains("\r\nMIME-Version: 1.0\r\n"))
    }

    @Test(
        "the hidden preheader escapes markup by scalar: a mark fused to '<' or '\"' opens nothing (issue 12)")
    func preheaderEscaping() {
        let html = MIMEMessage.withPreheader(
            "<html><body><p>x</p></body></html>", "\u{600}<img src=x onerror=alert(1)>\u{301} \"\u{301}'&")
        #expect(!html.contains("<img"))
        #expect(
            html.contains("\u{600}&lt;img src=x onerror=alert(1)&gt;\u{301} &quot;\u{301}&#39;&amp;</div>"))
    }

    @Test("the preheader goes right after the first <body …> in any case, or first when there is none")
    func preheaderPlace() {
        let div = #"<div style="display:none;max-height:0;overflow:hidden">Soon</div>"#
        #expect(MIMEMessage.withPreheader("<p>小</p>", "Soon") == div + "<p>小</p>")
        #expect(
            MIMEMessage.withPreheader("<html>价<BoDy class=\"x\">é<body>", "Soon")
                == "<html>价<BoDy class=\"x\">" + div + "é<body>")
        #expect(MIMEMessage.withPreheader("<html><bodyx", "Soon") == div + "<html><bodyx")
        #expect(MIMEMessage.withPreheader("<body>", nil) == "<body>")
        // What Foundation's case-insensitive search gave, on the starter templates' shapes.
        for html in [
            "<!doctype html><html><head></head><body style=\"margin:0\"><p>Hi</p></body></html>", "<BODY>",
        ] {
            var expected = html
            if let open = html.range(of: "<body", options: .caseInsensitive),
                let close = html[open.upperBound...].firstIndex(of: ">")
            {
                expected.insert(contentsOf: div, at: expected.index(after: close))
            }
            #expect(MIMEMessage.withPreheader(html, "Soon") == expected)
        }
        #expect(MIMEMessage.boundaryLetters("0a-F_9.z") == "0aF9z")
        #expect(MIMEMessage.boundaryLetters("ü-1") == "ü1")
    }

    @Test("every line ends in CRLF and none is longer than 78 characters")
    func lineDiscipline() throws {
        let text = try render()
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78, "\(line)") }
    }

    @Test("the same message and time give the same bytes")
    func deterministic() throws {
        #expect(try render() == render())
    }

    @Test("without an unsubscribe link there are no List-Unsubscribe headers; without HTML it is single-part")
    func optionalParts() throws {
        let text = try render(Samples.email(html: nil, unsubscribe: nil))
        #expect(!text.contains("List-Unsubscribe"))
        #expect(
            text.contains(
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
        #expect(!text.contains("multipart"))
    }

    @Test("line breaks in a subject cannot inject headers")
    func noHeaderInjection() throws {
        let text = try render(Samples.email(subject: "hi\r\nBcc: victim@example.com"))
        #expect(!text.contains("\r\nBcc:"))
    }

    @Test("addresses that could break the envelope are refused")
    func badAddresses() {
        #expect(throws: InvalidAddress.self) {
            try render(Samples.email(to: "a@b.test>\r\nRCPT TO:<x@y"))
        }
        for bad in [
            "nobody", "a@", "@b.test", "a..b@c.test", "a@b..test", "a b@c.test", "a@-b.test", "a@b,c.test",
        ] {
            #expect(throws: InvalidAddress.self, "\(bad)") { try render(Samples.email(to: bad)) }
        }
        for good in ["a@b", "first.last+tag@mail.example.com", "用户@例子.公司", "o'brien@shop.example"] {
            #expect(AddressSyntax.emailProblem(good) == nil, "\(good)")
        }
    }

    @Test("encoded words never split a UTF-8 character and stay within 75 characters")
    func encodedWords() {
        let words = MIMEMessage.encodedWords(String(repeating: "漢字テスト🚚", count: 20))
        for word in words.components(separatedBy: "\r\n ") {
            #expect(word.count <= 75)
            let b64 = word.dropFirst(10).dropLast(2)
            let bytes = Data(base64Encoded: String(b64))
            #expect(bytes.flatMap { String(data: $0, encoding: .utf8) } != nil)
        }
    }

    @Test("Python's email module parses it back: Chinese subject and names round-trip, text then HTML")
    func pythonParsesItBack() throws {
        guard let python = Python.plain else {
            print("skipped: no python3 to parse the message back")
            return
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("m.eml")
        let long = "您的购物车还在等您 — 这是一个非常长的主题，用来检查折叠与编码词的拆分是否正确无误 🚚 and some ASCII too"
        try Data(try mime.render(Samples.email(subject: long), now: Samples.now)).write(to: file)
        let parsed = try Python.json(python, "parse_eml.py", [file.path])
        #expect(parsed["subject"] as? String == long)
        #expect(parsed["from_name"] as? String == "小店 Shop")
        #expect(parsed["to_name"] as? String == "李伟")
        #expect(parsed["to_addr"] as? String == "li.wei@example.com")
        #expect(parsed["content_type"] as? String == "multipart/alternative")
        #expect((parsed["defects"] as? [String])?.isEmpty == true)
        let parts = try #require(parsed["parts"] as? [[String: Any]])
        #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
        #expect(parts.map { $0["encoding"] as? String } == ["base64", "base64"])
        // Canonical form: the text's line breaks are CRLF inside the base64.
        #expect(parts[0]["content"] as? String == "你好 李伟,\r\n\r\nYour cart is waiting.\r\n")
        #expect(parts[0]["bare_lf"] as? Bool == false)
        let html = try #require(parts[1]["content"] as? String)
        #expect(
            html.hasPrefix(
                "<html><body><div style=\"display:none;max-height:0;overflow:hidden\">Still thinking?</div><p>你好"
            ))
    }

    @Test("ASCII display names that need quoting are quoted")
    func quotedNames() {
        #expect(MIMEMessage.address("a@b.test", name: "Smith, John") == "\"Smith, John\" <a@b.test>")
        #expect(MIMEMessage.address("a@b.test", name: "Shop") == "Shop <a@b.test>")
        #expect(MIMEMessage.address("a@b.test", name: nil) == "<a@b.test>")
    }

    @Test("a from address written as SPEC's 'Shop <news@shop.example>' splits into name and address")
    func displayNameFrom() throws {
        let m = MIMEMessage(from: "Shop <news@shop.example>")
        #expect(m.from == "news@shop.example")
        #expect(m.fromName == "Shop")
        let quoted = MIMEMessage(from: "\"Shop, Inc\" <news@shop.example>")
        #expect(quoted.fromName == "Shop, Inc")
        #expect(MIMEMessage(from: "news@shop.example").fromName == nil)
    }
}
