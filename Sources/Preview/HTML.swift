import TouchpointCore

/// Escaping for text and attribute values, and the link check that keeps hostile URLs inert.
enum HTML {
    /// `text` safe in element content and in quoted attribute values: Core's escaper, by scalar.
    static func escape(_ text: String) -> String { HTMLEscape.escape(text) }

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
