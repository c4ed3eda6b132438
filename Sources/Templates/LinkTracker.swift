import TouchpointCore

/// Puts tracked links into rendered content (SPEC §9), the one post-render step between a template's
/// output and what a channel sends or a dry-run shows.
///
/// Every `http(s)` link becomes `{public-url}/c/{token}`: `href` values of `<a>` tags in email HTML, URLs
/// in the email's text part, in SMS and chat text, and chat button URLs. The same URL gets the same link
/// index everywhere in one message (the HTML button and its text-part twin count as one link). Links that
/// already point at the public URL (the unsubscribe link) and other schemes (`mailto:`, `tel:`, `#top`)
/// are left alone. An email gets a 1×1 pixel (`/o/{token}`) before `</body>`. SMS segments are measured
/// again, since the link length changed.
public struct LinkTracker: Sendable {
    /// The base of every link, without a trailing slash.
    public let publicURL: String
    private let key: HMAC.Key

    /// A tracker that signs with `secret`.
    public init(publicURL: String, secret: String) {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.publicURL = base
        self.key = HMAC.Key(Array(secret.utf8))
    }

    /// The URL for a token: `{public-url}/{o|c|u}/{token}`.
    public func url(for token: TrackingToken) -> String {
        let path: String
        switch token.kind {
        case .open: path = "/o/"
        case .click: path = "/c/"
        case .unsubscribe: path = "/u/"
        case .callback: path = "/hooks/twilio/status?t="
        }
        return publicURL + path + token.encoded(key: key)
    }

    /// The unsubscribe page of one message (`message.unsubscribe_url`, the email's `List-Unsubscribe`).
    public func unsubscribeURL(
        messageId: String, customer: String, channel: Channel, locale: String?, issuedAt: Instant
    ) -> String {
        url(
            for: TrackingToken(
                kind: .unsubscribe, channel: channel, messageId: messageId, customer: customer,
                issuedAt: issuedAt,
                locale: locale))
    }

    /// Where Twilio reports the delivery of one SMS (its `StatusCallback`).
    public func statusCallbackURL(messageId: String, customer: String, issuedAt: Instant) -> String {
        url(
            for: TrackingToken(
                kind: .callback, channel: .sms, messageId: messageId, customer: customer, issuedAt: issuedAt))
    }

    /// `content` with its links tracked and, for email, the pixel added.
    public func rewrite(
        _ content: RenderedContent, messageId: String, customer: String, issuedAt: Instant
    ) -> RenderedContent {
        var links = Links(
            tracker: self, messageId: messageId, customer: customer, channel: content.channel,
            issuedAt: issuedAt)
        var out = content
        if let html = content.html {
            out.html = Self.addPixel(
                links.rewriteHrefs(html), url: url(for: links.token(kind: .open, index: 0)))
        }
        out.text = links.rewriteText(content.text)
        out.buttons = content.buttons.map { Button(label: $0.label, url: links.tracked($0.url)) }
        if content.sms != nil { out.sms = SMSInfo.measure(out.text) }
        return out
    }

    /// The tracked links of one message, numbered in order of first appearance.
    private struct Links {
        let tracker: LinkTracker
        let messageId: String
        let customer: String
        let channel: Channel
        let issuedAt: Instant
        var indices: [String: Int] = [:]

        func token(kind: TrackingToken.Kind, index: Int, url: String? = nil) -> TrackingToken {
            TrackingToken(
                kind: kind, channel: channel, messageId: messageId, customer: customer, linkIndex: index,
                issuedAt: issuedAt, url: url)
        }

        /// The tracked form of `url`, or `url` itself when it is not a web link or is already ours.
        mutating func tracked(_ url: String) -> String {
            guard LinkTracker.isWebLink(url), !url.hasPrefix(tracker.publicURL + "/") else { return url }
            let index: Int
            if let known = indices[url] {
                index = known
            } else {
                index = indices.count
                indices[url] = index
            }
            return tracker.url(for: token(kind: .click, index: index, url: url))
        }

        /// Rewrites the `href` of every `<a>` tag; the rest of the HTML is copied byte for byte.
        mutating func rewriteHrefs(_ html: String) -> String {
            let s = Array(html.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(s.count + 256)
            var copied = 0
            var i = 0
            while i < s.count {
                guard s[i] == UInt8(ascii: "<"), i + 2 < s.count, s[i + 1] | 0x20 == UInt8(ascii: "a"),
                    LinkTracker.isSpace(s[i + 2])
                else {
                    // Comments may hold `<a` text; skip them whole.
                    if s[i] == UInt8(ascii: "<"), s[i...].starts(with: Array("<!--".utf8)),
                        let end = LinkTracker.find(Array("-->".utf8), in: s, from: i + 4)
                    {
                        i = end + 3
                    } else {
                        i += 1
                    }
                    continue
                }
                var j = i + 2
                while j < s.count, s[j] != UInt8(ascii: ">") {
                    guard let attribute = LinkTracker.readAttribute(s, at: &j) else { break }
                    guard attribute.name == "href", let value = attribute.value else { continue }
                    let raw = String(decoding: s[value.range], as: UTF8.self)
                    let url = HTMLText.decodeEntities(raw).trimmingSpaces()
                    let replacement = tracked(url)
                    guard replacement != url else { continue }
                    let quote = value.quote ?? UInt8(ascii: "\"")
                    out += s[copied..<(value.range.lowerBound - (value.quote == nil ? 0 : 1))]
                    out.append(quote)
                    out += replacement.utf8
                    out.append(quote)
                    copied = value.range.upperBound + (value.quote == nil ? 0 : 1)
                }
                i = j
            }
            out += s[copied...]
            return String(decoding: out, as: UTF8.self)
        }

        /// Rewrites every `http://` / `https://` URL in plain text. A URL ends at whitespace, a quote or
        /// angle bracket, or a non-ASCII character (`…/cart/42，谢谢`); trailing punctuation stays text.
        mutating func rewriteText(_ text: String) -> String {
            let scalars = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            while i < scalars.count {
                guard scalars[i] == "h", LinkTracker.startsWithScheme(scalars, at: i) else {
                    out.append(scalars[i])
                    i += 1
                    continue
                }
                var j = i
                while j < scalars.count, LinkTracker.isURLScalar(scalars[j]) { j += 1 }
                while j > i, ".,;:!?)]}'".unicodeScalars.contains(scalars[j - 1]) { j -= 1 }
                var url = ""
                url.unicodeScalars.append(contentsOf: scalars[i..<j])
                out.append(contentsOf: tracked(url).unicodeScalars)
                i = j
            }
            return String(out)
        }
    }

    /// The pixel before the last `</body>`, or at the end when there is none.
    static func addPixel(_ html: String, url: String) -> String {
        let img =
            "<img src=\"\(url)\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\">"
        let s = Array(html.utf8)
        let close = Array("</body".utf8)
        var at: Int? = nil
        var i = s.count - close.count
        while i >= 0 {
            if zip(s[i..<(i + close.count)], close).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                at = i
                break
            }
            i -= 1
        }
        guard let at else { return html + img }
        return String(decoding: s[..<at], as: UTF8.self) + img + String(decoding: s[at...], as: UTF8.self)
    }

    // MARK: - Scanning

    static func isWebLink(_ url: String) -> Bool {
        let lower = url.prefix(8).lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C
    }

    static func startsWithScheme(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        for scheme in ["https://", "http://"] {
            let p = Array(scheme.unicodeScalars)
            if i + p.count <= s.count,
                zip(s[i..<(i + p.count)], p).allSatisfy({ $0.properties.lowercaseMapping == String($1) })
            {
                return i + p.count < s.count && isURLScalar(s[i + p.count])
            }
        }
        return false
    }

    static func isURLScalar(_ c: Unicode.Scalar) -> Bool {
        c.value > 0x20 && c.value < 0x7F && c != "<" && c != ">" && c != "\"" && c != "`"
    }

    static func find(_ needle: [UInt8], in s: [UInt8], from start: Int) -> Int? {
        guard needle.count <= s.count else { return nil }
        var i = start
        while i + needle.count <= s.count {
            if s[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// One attribute of a tag: its lower-case name and, when it has one, its value's byte range and quote.
    struct Attribute {
        var name: String
        var value: (range: Range<Int>, quote: UInt8?)?
    }

    /// Reads the attribute at `j` (after whitespace), moving `j` past it; `nil` at the tag's end.
    static func readAttribute(_ s: [UInt8], at j: inout Int) -> Attribute? {
        while j < s.count, isSpace(s[j]) || s[j] == UInt8(ascii: "/") { j += 1 }
        guard j < s.count, s[j] != UInt8(ascii: ">") else { return nil }
        let nameStart = j
        while j < s.count, !isSpace(s[j]), s[j] != UInt8(ascii: "="), s[j] != UInt8(ascii: ">"),
            s[j] != UInt8(ascii: "/")
        {
            j += 1
        }
        let name = String(
            decoding: s[nameStart..<j].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        var k = j
        while k < s.count, isSpace(s[k]) { k += 1 }
        guard k < s.count, s[k] == UInt8(ascii: "=") else { return Attribute(name: name, value: nil) }
        k += 1
        while k < s.count, isSpace(s[k]) { k += 1 }
        guard k < s.count else {
            j = k
            return Attribute(name: name, value: nil)
        }
        if s[k] == UInt8(ascii: "\"") || s[k] == UInt8(ascii: "'") {
            let quote = s[k]
            let start = k + 1
            var end = start
            while end < s.count, s[end] != quote { end += 1 }
            j = min(end + 1, s.count)
            // An unclosed quote runs to the end of the document: not a value worth rewriting.
            return Attribute(name: name, value: end < s.count ? (start..<end, quote) : nil)
        }
        let start = k
        while k < s.count, !isSpace(s[k]), s[k] != UInt8(ascii: ">") { k += 1 }
        j = k
        return Attribute(name: name, value: (start..<k, nil))
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
