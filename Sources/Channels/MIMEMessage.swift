import Foundation
import TouchpointCore

/// Builds the RFC 5322 message an email becomes: the bytes SMTP sends and the `.eml` the file adapter writes.
///
/// multipart/alternative (text/plain, then text/html), both UTF-8 and base64; RFC 2047 encoded words for a
/// non-ASCII subject and display names; `Message-ID` from the message id, so a retry carries the same one;
/// RFC 8058 one-click `List-Unsubscribe` when there is an unsubscribe link. Lines end in CRLF.
public struct MIMEMessage: Sendable, Hashable {
    /// The sender's bare address.
    public var from: String
    /// The sender's display name.
    public var fromName: String?
    /// A `Reply-To` address.
    public var replyTo: String?

    /// A builder for one sender.
    public init(from: String, fromName: String? = nil, replyTo: String? = nil) {
        // `Shop <news@shop.example>` (SPEC §6's form) is a display name and an address.
        if let open = from.lastIndex(of: "<"), from.hasSuffix(">") {
            let address = from[from.index(after: open)..<from.index(before: from.endIndex)]
            var name = from[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            self.from = String(address).trimmingCharacters(in: .whitespaces)
            self.fromName = fromName ?? (name.isEmpty ? nil : name)
        } else {
            self.from = from
            self.fromName = fromName
        }
        self.replyTo = replyTo
    }

    /// The domain of the sender's address, used on the right of `Message-ID`.
    public var domain: String {
        guard let at = from.lastIndex(of: "@") else { return "localhost" }
        let d = from[from.index(after: at)...]
        return d.isEmpty ? "localhost" : String(d)
    }

    /// The `Message-ID` for a message id: `<id@domain-of-from>`.
    public func messageIdHeader(_ messageId: String) -> String { "<\(messageId)@\(domain)>" }

    /// The complete message, dated `now`.
    public func render(_ m: OutboundMessage, now: Instant) throws -> [UInt8] {
        try MIMEMessage.checkAddress(from)
        if let problem = AddressSyntax.emailProblem(m.to) { throw InvalidAddress(problem) }
        if let r = replyTo { try MIMEMessage.checkAddress(r) }
        var out = ""
        func header(_ name: String, _ value: String) { out += MIMEMessage.fold(name + ": " + value) + "\r\n" }
        header("From", MIMEMessage.address(from, name: fromName))
        header("To", MIMEMessage.address(m.to, name: m.toName))
        if let r = replyTo { header("Reply-To", "<\(r)>") }
        header("Subject", MIMEMessage.headerText(m.subject ?? ""))
        header("Date", MIMEMessage.date(now))
        header("Message-ID", messageIdHeader(m.messageId))
        if let u = m.unsubscribeURL {
            header("List-Unsubscribe", MIMEMessage.bracketedURL(MIMEMessage.singleLine(u)))
            header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        }
        header("MIME-Version", "1.0")
        if let html = m.html {
            let boundary = "=_tp_" + MIMEMessage.boundaryLetters(m.messageId)
            header("Content-Type", "multipart/alternative;\r\n boundary=\"\(boundary)\"")
            out += "\r\n"
            out += "--\(boundary)\r\n"
            out += MIMEMessage.part("text/plain", m.text)
            out += "--\(boundary)\r\n"
            out += MIMEMessage.part("text/html", MIMEMessage.withPreheader(html, m.preheader))
            out += "--\(boundary)--\r\n"
        } else {
            header("Content-Type", "text/plain; charset=UTF-8")
            header("Content-Transfer-Encoding", "base64")
            out += "\r\n" + MIMEMessage.base64Lines(MIMEMessage.canonicalLineBreaks(m.text))
        }
        return Array(out.utf8)
    }

    static func part(_ type: String, _ text: String) -> String {
        "Content-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64Lines(canonicalLineBreaks(text))
    }

    /// Text in MIME canonical form (RFC 2045 §6.8, RFC 2046 §4.1.1), as UTF-8: every line break CRLF, also
    /// inside base64, where a bare LF would be decoded as is. CR LF stays, a lone CR or LF becomes CR LF (byte
    /// by byte: a CR or LF is a grapheme of its own, or CR LF one together, so this is what a walk by
    /// `Character` gives, at a fraction of its cost).
    static func canonicalLineBreaks(_ text: String) -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return Array(utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        var afterCR = false
        for b in utf8 {
            switch b {
            case 0x0D:
                out.append(0x0D)
                out.append(0x0A)
                afterCR = true
            case 0x0A:
                if !afterCR {
                    out.append(0x0D)
                    out.append(0x0A)
                }
                afterCR = false
            default:
                out.append(b)
                afterCR = false
            }
        }
        return out
    }

    /// The longest header line RFC 5322 allows (§2.1.1), without its CRLF.
    static let maxLineOctets = 998
    /// The line length RFC 5322 recommends, which folding aims for.
    static let foldColumn = 78

    /// A header line folded at its spaces (RFC 5322 §2.2.3: a CRLF before a space, which the receiver
    /// removes again) so that lines stay within 78 characters where a space allows it. A value already
    /// folded (encoded words) is left as it is.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > foldColumn, !line.contains("\r\n") else { return line }
        var out = ""
        var current = ""
        for (i, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if i == 0 {
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count > foldColumn && !word.isEmpty
                && current.contains(where: { $0 != " " })
            {
                out += current + "\r\n"
                current = " " + word
            } else {
                current += " " + word
            }
        }
        return out + current
    }

    /// `<url>` for `List-Unsubscribe`; a URL too long for one line is cut into pieces on folded lines,
    /// which RFC 2369 §2 has clients ignore inside the angle brackets.
    static func bracketedURL(_ url: String) -> String {
        let limit = 900
        guard url.utf8.count > limit else { return "<\(url)>" }
        var pieces: [String] = []
        var rest = Substring(url)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(limit)))
            rest = rest.dropFirst(limit)
        }
        return "<" + pieces.joined(separator: "\r\n ") + ">"
    }

    /// The preview text goes first in the body, hidden, so inbox lists show it after the subject.
    static func withPreheader(_ html: String, _ preheader: String?) -> String {
        guard let p = preheader, !p.isEmpty else { return html }
        let div = "<div style=\"display:none;max-height:0;overflow:hidden\">\(HTMLEscape.escape(p))</div>"
        // `<body` in any case, then its `>`, found in the UTF-8 bytes (Foundation's case-insensitive search
        // went through UTF-16 and was a third of rendering a message).
        let utf8 = Array(html.utf8)
        if let open = bodyTag(in: utf8), let close = utf8[(open + 5)...].firstIndex(of: UInt8(ascii: ">")) {
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count + div.utf8.count)
            out.append(contentsOf: utf8[...close])
            out.append(contentsOf: div.utf8)
            out.append(contentsOf: utf8[(close + 1)...])
            return String(decoding: out, as: UTF8.self)
        }
        return div + html
    }

    /// The letters and digits of a message id, for the multipart boundary (ids are ASCII as a rule: those
    /// are filtered by byte, others by `Character`).
    static func boundaryLetters(_ id: String) -> String {
        guard id.utf8.allSatisfy({ $0 < 0x80 }) else { return id.filter { $0.isLetter || $0.isNumber } }
        return String(decoding: id.utf8.filter(\.isASCIILetterOrDigit), as: UTF8.self)
    }

    /// Where the first `<body` (ASCII letters in any case) starts.
    static func bodyTag(in b: [UInt8]) -> Int? {
        let tag = Array("body".utf8)
        var i = 0
        while i + 5 <= b.count {
            if b[i] == UInt8(ascii: "<"),
                (0..<4).allSatisfy({ b[i + 1 + $0] | 0x20 == tag[$0] })
            {
                return i
            }
            i += 1
        }
        return nil
    }

    /// An address refused if it could break the header or envelope it goes into.
    static func checkAddress(_ a: String) throws {
        let bad =
            a.isEmpty || !a.contains("@")
            || a.unicodeScalars.contains {
                $0.value < 0x21 || $0 == "<" || $0 == ">" || $0 == "," || $0 == "\""
            }
        // Masked and escaped: this message is logged and kept with the dropped message.
        if bad { throw AdapterConfigError("not a usable email address: '\(LogSafety.clean(a))'") }
    }

    /// `Name <addr>`: a plain or quoted name when ASCII, encoded words otherwise.
    static func address(_ email: String, name: String?) -> String {
        guard let raw = name.map(singleLine), !raw.isEmpty else { return "<\(email)>" }
        // A word too long to fold under 998 octets is sent as encoded words, which fold anywhere.
        let foldable = raw.split(separator: " ").allSatisfy { $0.utf8.count <= 900 }
        if foldable, raw.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }) {
            let atext = raw.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains($0)
            }
            if atext && !raw.contains("=?") { return "\(raw) <\(email)>" }
            let quoted = raw.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(email)>"
        }
        let words = encodedWords(raw)
        let lastLine = words.components(separatedBy: "\r\n").last ?? words
        // Keep header lines under 78 characters: a long name pushes the address onto its own folded line.
        return words + (lastLine.count + email.count > 60 ? "\r\n <" : " <") + email + ">"
    }

    /// Header text as is when plain ASCII, else RFC 2047 `=?UTF-8?B?...?=` words folded onto lines.
    static func headerText(_ text: String) -> String {
        let s = singleLine(text)
        let plain = s.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }
        // Plain text is folded at its spaces by the header writer; a word that could not be is encoded.
        if plain && !s.contains("=?") && s.split(separator: " ").allSatisfy({ $0.utf8.count <= 900 }) {
            return s
        }
        return encodedWords(s)
    }

    /// Encoded words of at most 30 UTF-8 bytes (52 characters encoded, so a header name fits before one on a
    /// 78-character line), never splitting a character.
    static func encodedWords(_ s: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 30, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
        }
        return words.joined(separator: "\r\n ")
    }

    /// Line breaks in a header value would start a new header: they become spaces.
    static func singleLine(_ s: String) -> String {
        String(s.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }

    /// Base64 in 76-character CRLF lines (RFC 2045).
    static func base64Lines(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn,
            .endLineWithLineFeed,
        ]) + "\r\n"
    }

    /// An RFC 5322 date in UTC: `Fri, 20 Nov 2026 02:00:00 +0000`.
    static func date(_ t: Instant) -> String {
        let f = ISO8601.fields(t, offsetSeconds: 0)
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[f.weekday]), \(two(f.day)) \(months[f.month - 1]) \(f.year) "
            + "\(two(f.hour)):\(two(f.minute)):\(two(f.second)) +0000"
    }
}

extension UInt8 {
    /// `0-9`, `A-Z`, `a-z`.
    var isASCIILetterOrDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self | 0x20 >= 0x61 && self | 0x20 <= 0x7A)
    }
}
