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
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let afterAmp = rest[rest.index(after: amp)...]
            guard let semi = afterAmp.prefix(12).firstIndex(of: ";") else {
                out += "&"
                rest = afterAmp
                continue
            }
            let name = afterAmp[..<semi]
            var decoded: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
            } else if name.hasPrefix("#") {
                decoded = UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init).map { String($0) }
            } else {
                decoded = namedEntities[String(name)]
            }
            if let decoded {
                out += decoded
                rest = afterAmp[afterAmp.index(after: semi)...]
            } else {
                out += "&"
                rest = afterAmp
            }
        }
        out += rest
        return out
    }
}
