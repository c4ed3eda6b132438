/// Derives the plain-text part of an email from its HTML body.
///
/// Not a full HTML parser: emails are generated from our own templates, so a tolerant
/// scanner that knows block-level line breaks, links and entities is enough.
public enum HTMLText {
    /// The readable text of `html`: tags stripped, line breaks kept, links as `label (url)`,
    /// entities decoded, whitespace runs collapsed, at most one blank line between blocks.
    public static func derive(from html: String) -> String {
        // Every message of a dry-run goes through here, so the usual case runs over UTF-8 bytes;
        // the Character walk stays the definition and takes over for the rare exotic input.
        deriveFromBytes(html) ?? deriveByCharacters(from: html)
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "laquo": "«", "raquo": "»",
        "euro": "€", "pound": "£", "yen": "¥", "middot": "·", "bull": "•",
    ]

    /// Decodes named and numeric character references; unknown ones stay as written.
    ///
    /// By Unicode scalar, as an HTML parser reads them: an `&` or `;` fused with a neighbouring mark into
    /// one Character (`\u{600}&lt;`, `&quot;\u{301}`, which escaped data produces) still delimits an entity.
    public static func decodeEntities(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&" else {
                out.append(scalars[i])
                i += 1
                continue
            }
            let afterAmp = i + 1
            guard let semi = scalars[afterAmp..<min(scalars.count, afterAmp + 12)].firstIndex(of: ";") else {
                out.append("&")
                i = afterAmp
                continue
            }
            let name = String(String.UnicodeScalarView(scalars[afterAmp..<semi]))
            var decoded: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
            } else if name.hasPrefix("#") {
                decoded = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String($0) }
            } else {
                decoded = namedEntities[name]
            }
            if let decoded {
                out.append(contentsOf: decoded.unicodeScalars)
                i = semi + 1
            } else {
                out.append("&")
                i = afterAmp
            }
        }
        return String(out)
    }
}
