/// Escaping for text and attribute values, and the link check that keeps hostile URLs inert.
enum HTML {
    /// `text` safe in element content and in quoted attribute values: `& < > " '` become entities.
    static func escape(_ text: String) -> String {
        // Fast path: most names, ids and times need nothing.
        guard
            text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 })
        else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `true` for links a reader may follow from the preview: `http`, `https`, `mailto`, `tel`.
    ///
    /// Anything else (`javascript:`, `data:`, `vbscript:`) would run or load in the page, so it is shown as text.
    static func isSafeLink(_ url: String) -> Bool {
        // Browsers strip leading control characters and spaces before reading the scheme.
        let trimmed = url.unicodeScalars.drop(while: { $0.value <= 0x20 })
        guard let colon = trimmed.firstIndex(of: ":") else { return false }
        let scheme = String(String.UnicodeScalarView(trimmed[..<colon])).lowercased()
        return ["http", "https", "mailto", "tel"].contains(scheme)
    }

    /// A locale reduced to ASCII letters, digits and hyphens, for a `lang` attribute.
    static func languageTag(_ locale: String?) -> String? {
        guard let locale else { return nil }
        var tag = ""
        for scalar in locale.unicodeScalars where scalar.isASCII {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" {
                tag.unicodeScalars.append(scalar)
            } else if scalar == "_" {
                tag += "-"
            }
        }
        return tag.isEmpty ? nil : tag
    }
}
