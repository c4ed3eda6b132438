/// swift-mustache 2.1.1's HTML escaping (`String.htmlEscape`), over bytes where that is exact.
///
/// swift-mustache walks Characters and replaces a Character equal to `<`, `>`, `&`, `"` or `'`
/// with `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#39;`. A Character is a grapheme cluster, so such a
/// byte followed by a combining mark (or preceded by a prepended mark) is part of a longer
/// Character and is *not* escaped. Only non-ASCII scalars can join an ASCII one that way, so a
/// special byte between ASCII bytes (or the ends) escapes exactly as a byte; any other string
/// takes the Character walk, which is swift-mustache's code.
public enum HTMLEscape {
    /// `text` escaped for element content and quoted attribute values, as templates escape `{{x}}`.
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text`, escaped, to `output`.
    static func append(_ text: String, to output: inout [UInt8]) {
        var text = text
        let exact = text.withUTF8 { bytes -> Bool in
            let start = output.count
            var run = 0
            var i = 0
            while i < bytes.count {
                guard let replacement = replacement(for: bytes[i]) else {
                    i += 1
                    continue
                }
                if (i > 0 && bytes[i - 1] >= 0x80) || (i + 1 < bytes.count && bytes[i + 1] >= 0x80) {
                    output.removeSubrange(start...)
                    return false
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
                output.append(contentsOf: replacement)
                i += 1
                run = i
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<bytes.count]))
            return true
        }
        if !exact {
            output.append(contentsOf: escapedByCharacter(text).utf8)
        }
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

    /// swift-mustache's own loop, for strings where a special character sits next to non-ASCII.
    static func escapedByCharacter(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(c)
            }
        }
        return escaped
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    fileprivate mutating func append(contentsOf s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }
}
