import Testing

@testable import TouchpointCore

/// Issue 12 #6: an address with `\n` forged a `critical` log line, and refused addresses were logged raw.
@Suite("Values made safe to log")
struct LogSafetyTests {
    @Test(
        "control characters and line separators are escaped, and a backslash is doubled so escapes cannot be faked"
    )
    func escapes() {
        #expect(
            LogSafety.escapeControls("a\nb\r\tc\u{0}d\u{1B}[2J\u{85}\u{2028}")
                == #"a\nb\r\tc\u{0}d\u{1B}[2J\u{85}\u{2028}"#)
        #expect(LogSafety.escapeControls(#"already \n"#) == #"already \\n"#)
        #expect(LogSafety.escapeControls("雷 plain ✓") == "雷 plain ✓")
    }

    @Test("email addresses and phone numbers are masked wherever they are in a text")
    func masks() {
        #expect(
            LogSafety.maskAddresses("550 5.1.1 <li.wei@example.com>: no such user")
                == "550 5.1.1 <l***@e***.com>: no such user")
        #expect(
            LogSafety.maskAddresses("The 'To' number +8613800138000 is invalid")
                == "The 'To' number +861***00 is invalid")
        #expect(
            LogSafety.maskAddresses("status 200 in 3 ms, +5 retries, a@ @b")
                == "status 200 in 3 ms, +5 retries, a@ @b")
    }

    @Test("a forged log line inside an address stays on one line and shows no address")
    func forgedLine() {
        let evil = "x@example.com\n2026-12-02T10:00:00+0000 critical touchpoint : all customers exported"
        let clean = LogSafety.clean("not a usable email address: '\(evil)'")
        #expect(!clean.contains("\n"))
        #expect(!clean.contains("x@example.com"))
        #expect(clean.hasPrefix("not a usable email address: 'x***@e***"))
    }

    @Test("the byte-level email check accepts exactly the ASCII addresses the full check accepts")
    func emailFastPath() {
        var generator = SeededGenerator(seed: StableID.seed("email fast path"))
        let pieces = [
            "a", "Z", "0", "9", "-", ".", "@", "+", "_", "'", " ", "<", ">", ",", "\"", "(", ")", ";", "\\",
            "[", "]",
            "\u{7F}", "\t", "ab", "shop", "example", "com", "..", "-x", "x-",
            String(repeating: "a", count: 63), String(repeating: "b", count: 64),
        ]
        var accepted = 0
        for _ in 0..<20_000 {
            var address = ""
            let parts = 1 + Int(generator.next() % 12)
            for _ in 0..<parts { address += pieces[Int(generator.next() % UInt64(pieces.count))] }
            // Most random strings have no @: give half of them one in the middle.
            if generator.next() % 2 == 0 { address += "@" + pieces[Int(generator.next() % 3)] + ".test" }
            let full = AddressSyntax.fullEmailProblem(address) == nil
            #expect(AddressSyntax.isPlainValidEmail(address) == full, "\(address)")
            #expect((AddressSyntax.emailProblem(address) == nil) == full, "\(address)")
            if full { accepted += 1 }
        }
        #expect(accepted > 500)  // the corpus exercises both answers
        for address in [
            "a@b", "first.last+tag@mail.example.com", "x@" + String(repeating: "a", count: 64) + ".test",
        ] {
            #expect(
                AddressSyntax.isPlainValidEmail(address) == (AddressSyntax.fullEmailProblem(address) == nil))
        }
        // Non-ASCII is left to the full check.
        #expect(!AddressSyntax.isPlainValidEmail("用户@例子.公司"))
        #expect(AddressSyntax.emailProblem("用户@例子.公司") == nil)
    }
}
