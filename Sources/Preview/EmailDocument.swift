/// An email's HTML made safe to show in a sandboxed `srcdoc` frame.
enum EmailDocument {
    /// The policy put into every email: no scripts, no fetches, inline styles and `data:` images only.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    /// `html` with a Content-Security-Policy `<meta>` as early in its `<head>` as possible, and links
    /// opening in a new window (which the sandbox forbids) so a click cannot take the frame to the network.
    static func sealed(_ html: String) -> String {
        let guardTags =
            #"<meta http-equiv="Content-Security-Policy" content="\#(contentSecurityPolicy)">"#
            + #"<base target="_blank">"#
        // After `<head>` keeps the email's doctype (and so its rendering mode) intact; with no head the
        // parser still puts a meta that follows `<html>` or the doctype into an implied one.
        if let end = endOfOpeningTag("head", in: html) ?? endOfOpeningTag("html", in: html)
            ?? endOfDoctype(in: html)
        {
            return String(html[..<end]) + guardTags + String(html[end...])
        }
        return guardTags + html
    }

    /// The index just after the first `<name>` or `<name ...>` tag, matched without regard to ASCII case.
    static func endOfOpeningTag(_ name: String, in html: String) -> String.Index? {
        let bytes = Array(html.utf8)
        let needle = Array(("<" + name).utf8)
        var i = 0
        while i + needle.count < bytes.count {
            if (0..<needle.count).allSatisfy({ asciiLower(bytes[i + $0]) == needle[$0] }),
                isTagNameEnd(bytes[i + needle.count])
            {
                guard let close = bytes[(i + needle.count)...].firstIndex(of: 0x3E) else { return nil }
                return html.utf8.index(html.utf8.startIndex, offsetBy: close + 1)
            }
            i += 1
        }
        return nil
    }

    private static func endOfDoctype(in html: String) -> String.Index? {
        let start = html.drop(while: { $0.isWhitespace })
        guard start.prefix(9).lowercased() == "<!doctype", let close = start.firstIndex(of: ">") else {
            return nil
        }
        return html.index(after: close)
    }

    /// `>`, `/` or whitespace: so `<head` does not match `<header`.
    private static func isTagNameEnd(_ b: UInt8) -> Bool {
        b == 0x3E || b == 0x2F || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D
    }

    private static func asciiLower(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b + 0x20 : b }
}
