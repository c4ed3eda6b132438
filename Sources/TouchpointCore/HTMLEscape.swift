/// The one HTML escaper: every place that puts data into HTML (template `{{x}}` in an email body,
/// the email preheader, the dry-run preview page) goes through it.
///
/// It works on Unicode scalars, never on `Character`s: a `Character` is a grapheme cluster, so a
/// `<` followed by a combining mark (`<\u{301}`) or preceded by a prepended mark (`\u{600}<`) is
/// one `Character` that is not equal to `"<"`, and a Character-level escaper lets it through
/// while an HTML parser still reads a `<`. Here each of `& < > " '` is replaced wherever it
/// occurs, whatever its neighbours. In UTF-8 those five are single bytes that never occur
/// inside another scalar's encoding, so the scalar walk is a byte walk.
public enum HTMLEscape {
    /// Appends `text` to `output` with `&`, `<`, `>`, `"` and `'` replaced by `&amp;`, `&lt;`,
    /// `&gt;`, `&quot;` and `&#39;`: safe in element content and in quoted attribute values.
    public static func append(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { append(bytes: $0, to: &output) }
    }

    /// `append` over UTF-8 bytes.
    public static func append(bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        var run = 0
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            // Bytes above '>' are never special: one comparison for most of the text.
            guard byte <= UInt8(ascii: ">"), let replacement = replacement(for: byte) else {
                i += 1
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
            replacement.withUTF8Buffer { output.append(contentsOf: $0) }
            i += 1
            run = i
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<bytes.count]))
    }

    /// `text` escaped, as a String; `text` itself when nothing needs escaping.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 <= UInt8(ascii: ">") && replacement(for: $0) != nil }) else {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always)
    private static func replacement(for byte: UInt8) -> StaticString? {
        switch byte {
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }
}
