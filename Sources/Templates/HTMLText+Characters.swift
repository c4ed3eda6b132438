extension HTMLText {
    /// Tags whose contents never belong in the text part.
    static let hiddenElements: Set<String> = ["style", "script", "head", "title"]
    /// Closing tags that end a line.
    static let lineEndingClosers: Set<String> = [
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table", "ul", "ol", "blockquote",
    ]
    /// Closing tags that end a paragraph (followed by a blank line).
    static let paragraphClosers: Set<String> = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "table"]

    /// The reference derivation over Characters: the definition of the output, and the path taken
    /// whenever the byte-level one (`deriveFromBytes`) meets text where grapheme clusters or
    /// canonical equivalence could make a difference.
    static func deriveByCharacters(from html: String) -> String {
        var out = ""
        var scalars = Array(html.unicodeScalars)[...]
        var linkHref: String?

        while let first = scalars.first {
            guard first == "<" else {
                let text = scalars.prefix(while: { $0 != "<" })
                scalars = scalars.dropFirst(text.count)
                appendCollapsed(decodeEntities(String(String.UnicodeScalarView(text))), to: &out)
                continue
            }
            if scalars.starts(with: "<!--".unicodeScalars) {
                scalars = skip(past: "-->", in: scalars.dropFirst(4))
                continue
            }
            guard let tag = readTag(&scalars) else {
                appendCollapsed("<", to: &out)
                scalars = scalars.dropFirst()
                continue
            }
            if !tag.closing, hiddenElements.contains(tag.name) {
                scalars = skip(past: "</\(tag.name)", in: scalars, caseInsensitive: true)
                scalars = skip(past: ">", in: scalars)
                continue
            }
            switch (tag.name, tag.closing) {
            case ("br", _), ("hr", false):
                out += "\n"
            case ("a", false):
                linkHref = tag.href.map(decodeEntities)
                if linkHref != nil { out += "\u{0}" }  // marks where the label starts
            case ("a", true):
                defer { linkHref = nil }
                guard let href = linkHref, let markerIndex = out.lastIndex(of: "\u{0}") else { break }
                let label = String(out[out.index(after: markerIndex)...])
                    .trimmed(" \n")
                out.removeSubrange(markerIndex...)
                let shownHref = href.hasPrefix("mailto:") ? String(href.dropFirst(7)) : href
                if href.isEmpty || href.hasPrefix("#") {
                    out += label
                } else if label.isEmpty || label == href || label == shownHref {
                    out += shownHref
                } else {
                    out += "\(label) (\(shownHref))"
                }
            default:
                if tag.closing, paragraphClosers.contains(tag.name) {
                    out += "\n\n"
                } else if tag.closing, lineEndingClosers.contains(tag.name) {
                    out += "\n"
                } else if !tag.closing, tag.name == "td" || tag.name == "th" {
                    appendCollapsed(" ", to: &out)
                }
            }
        }
        out.removeAll(where: { $0 == "\u{0}" })
        return tidy(out)
    }

    private struct Tag {
        var name: String
        var closing: Bool
        var href: String?
    }

    /// Reads `<name attr="v" ...>`; `nil` when the `<` does not start a tag.
    private static func readTag(_ scalars: inout ArraySlice<Unicode.Scalar>) -> Tag? {
        var cursor = scalars.dropFirst()
        var closing = false
        if cursor.first == "/" {
            closing = true
            cursor = cursor.dropFirst()
        }
        let name = cursor.prefix(while: { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        guard !name.isEmpty || cursor.first == "!" || cursor.first == "?" else { return nil }
        cursor = cursor.dropFirst(name.count)
        var attributes = ""
        var quote: Unicode.Scalar?
        while let c = cursor.first {
            cursor = cursor.dropFirst()
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                scalars = cursor
                let tagName = String(String.UnicodeScalarView(name)).lowercased()
                return Tag(name: tagName, closing: closing, href: attribute("href", in: attributes))
            }
            attributes.unicodeScalars.append(c)
        }
        return nil
    }

    static func attribute(_ name: String, in attributes: String) -> String? {
        let scalars = Array(attributes.unicodeScalars)
        let lower = Array(attributes.lowercased().unicodeScalars)
        guard lower.count == scalars.count else { return nil }
        let key = Array(name.unicodeScalars)
        var i = 0
        while i + key.count <= lower.count {
            let before = i == 0 ? " " : lower[i - 1]
            if Array(lower[i..<i + key.count]) == key, before == " " || before == "\t" || before == "\n" {
                var j = i + key.count
                while j < scalars.count, scalars[j] == " " { j += 1 }
                guard j < scalars.count, scalars[j] == "=" else {
                    i += 1
                    continue
                }
                j += 1
                while j < scalars.count, scalars[j] == " " { j += 1 }
                guard j < scalars.count else { return "" }
                var value = ""
                if scalars[j] == "\"" || scalars[j] == "'" {
                    let q = scalars[j]
                    j += 1
                    while j < scalars.count, scalars[j] != q {
                        value.unicodeScalars.append(scalars[j])
                        j += 1
                    }
                } else {
                    while j < scalars.count, !scalars[j].properties.isWhitespace {
                        value.unicodeScalars.append(scalars[j])
                        j += 1
                    }
                }
                return value
            }
            i += 1
        }
        return nil
    }

    private static func skip(
        past marker: String, in scalars: ArraySlice<Unicode.Scalar>, caseInsensitive: Bool = false
    ) -> ArraySlice<Unicode.Scalar> {
        let needle = Array((caseInsensitive ? marker.lowercased() : marker).unicodeScalars)
        var cursor = scalars
        while !cursor.isEmpty {
            let window = cursor.prefix(needle.count)
            let matches =
                caseInsensitive
                ? window.elementsEqual(needle, by: { lowerASCII($0) == $1 })
                : window.elementsEqual(needle)
            if matches { return cursor.dropFirst(needle.count) }
            cursor = cursor.dropFirst()
        }
        return cursor
    }

    private static func lowerASCII(_ s: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(s) ? Unicode.Scalar(s.value + 32)! : s
    }

    /// Source whitespace (spaces, tabs, newlines) collapses to one space, as a browser shows it.
    private static func appendCollapsed(_ text: String, to out: inout String) {
        for c in text {
            if c.isWhitespace && c != "\u{A0}" {
                if let last = out.last, last != " ", last != "\n" { out.append(" ") }
            } else {
                out.append(c == "\u{A0}" ? " " : c)
            }
        }
    }

    /// Trims every line, keeps at most one blank line in a row, trims the whole.
    private static func tidy(_ text: String) -> String {
        var lines: [Substring] = []
        var blank = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmed(" \t")
            if line.isEmpty {
                blank += 1
                if blank > 1 || lines.isEmpty { continue }
            } else {
                blank = 0
            }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}

extension Substring {
    fileprivate func trimmed(_ set: String) -> Substring {
        let chars = Set(set)
        var s = self
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return s
    }
}

extension String {
    fileprivate func trimmed(_ set: String) -> String {
        String(Substring(self).trimmed(set))
    }
}
