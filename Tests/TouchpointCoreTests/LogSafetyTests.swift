import Testing
import TouchpointCore

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
}
