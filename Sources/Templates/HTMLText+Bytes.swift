extension HTMLText {
    /// `deriveByCharacters` over UTF-8 bytes: the same output, without building a Character per
    /// letter. `nil` when the input holds a scalar for which grapheme clustering or canonical
    /// equivalence could make the two differ (combining marks, format controls, non-ASCII spaces,
    /// a few singleton decompositions), or a link target with a carriage return; the caller then
    /// falls back to the Character walk.
    static func deriveFromBytes(_ html: String) -> String? {
        var html = html
        return html.withUTF8 { source -> String? in
            var deriver = ByteDeriver(source: source)
            guard deriver.run() else { return nil }
            return deriver.result()
        }
    }

    /// Scalars that are always a grapheme cluster of their own whatever their neighbours, are not
    /// white space, and are canonically equivalent to no other such string: on text made of ASCII
    /// and these, comparing Characters and comparing bytes agree. Covers Latin, Cyrillic, basic
    /// Greek, CJK, kana, Hangul syllables, general punctuation, currency and most emoji.
    static func isPlainScalar(_ v: UInt32) -> Bool {
        switch v {
        case 0xA0...0xAC, 0xAE...0x2FF: true
        case 0x391...0x3C9, 0x400...0x482, 0x48A...0x52F: true
        case 0x1E00...0x1EFF: true
        case 0x2010...0x2027, 0x2030...0x205E, 0x20A0...0x20C0, 0x2100...0x2125: true
        case 0x3001...0x3029, 0x3030...0x3098, 0x309B...0x30FF: true
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFF01...0xFF9D: true
        case 0x1F300...0x1F3FA, 0x1F400...0x1FAFF: true
        default: false
        }
    }
}

/// One run of the byte-level derivation. Mirrors `deriveByCharacters` step by step; the comments
/// there say why each step exists.
private struct ByteDeriver {
    let src: UnsafeBufferPointer<UInt8>
    var out: [UInt8] = []
    var linkHref: [UInt8]?

    init(source: UnsafeBufferPointer<UInt8>) {
        src = source
        out.reserveCapacity(source.count / 2)
    }

    /// Tag names that change the text, by their lowercased ASCII spelling.
    enum TagKind {
        case hidden, br, hr, a, cell, paragraphCloser, lineCloser, other
    }

    struct Tag {
        var kind: TagKind
        var closing: Bool
        /// The lowercased name of a hidden element, whose end tag is searched for; empty for any other.
        var name: [UInt8]
        var attributes: Range<Int>
        var end: Int
    }

    mutating func run() -> Bool {
        guard scanPlain() else { return false }
        let n = src.count
        var i = 0
        while i < n {
            guard src[i] == UInt8(ascii: "<") else {
                var j = i
                while j < n, src[j] != UInt8(ascii: "<") { j += 1 }
                guard appendText(i..<j) else { return false }
                i = j
                continue
            }
            if matches("<!--", at: i) {
                i = skip(past: Array("-->".utf8), from: i + 4, caseInsensitive: false)
                continue
            }
            guard let tag = readTag(at: i) else {
                appendCollapsedASCII(UInt8(ascii: "<"))
                i += 1
                continue
            }
            i = tag.end
            if !tag.closing, tag.kind == .hidden {
                i = skip(past: Array("</".utf8) + tag.name, from: i, caseInsensitive: true)
                i = skip(past: [UInt8(ascii: ">")], from: i, caseInsensitive: false)
                continue
            }
            switch (tag.kind, tag.closing) {
            case (.br, _), (.hr, false):
                out.append(10)
            case (.a, false):
                linkHref = nil
                if let raw = href(in: tag.attributes) {
                    guard let decoded = decodeEntities(raw), !decoded.contains(13) else { return false }
                    linkHref = decoded
                    out.append(0)
                }
            case (.a, true):
                closeLink()
            case (.paragraphCloser, true):
                out.append(10)
                out.append(10)
            case (.lineCloser, true):
                out.append(10)
            case (.cell, false):
                appendCollapsedASCII(UInt8(ascii: " "))
            default:
                break
            }
        }
        out.removeAll(where: { $0 == 0 })
        return true
    }

    /// The tidied text: lines trimmed, at most one blank line in a row, none at either end.
    func result() -> String {
        var text: [UInt8] = []
        text.reserveCapacity(out.count)
        var wroteLine = false
        var blank = 0
        var pendingBlank = false
        var start = 0
        while start <= out.count {
            var end = start
            while end < out.count, out[end] != 10 { end += 1 }
            var lo = start
            var hi = end
            while lo < hi, out[lo] == 32 || out[lo] == 9 { lo += 1 }
            while hi > lo, out[hi - 1] == 32 || out[hi - 1] == 9 { hi -= 1 }
            if lo == hi {
                blank += 1
                if blank <= 1, wroteLine { pendingBlank = true }
            } else {
                blank = 0
                if wroteLine { text.append(10) }
                if pendingBlank { text.append(10) }
                pendingBlank = false
                text.append(contentsOf: out[lo..<hi])
                wroteLine = true
            }
            start = end + 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Scanning

    /// Whether every non-ASCII scalar is plain (`HTMLText.isPlainScalar`).
    func scanPlain() -> Bool {
        let n = src.count
        var i = 0
        while i < n {
            // Rendered emails are mostly ASCII: skip eight ASCII bytes per step.
            if i + 8 <= n, let base = src.baseAddress,
                UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                i += 8
                continue
            }
            let b = src[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let (scalar, length) = decodeScalar(at: i)
            guard HTMLText.isPlainScalar(scalar) else { return false }
            i += length
        }
        return true
    }

    /// The scalar starting at `i` (the input is valid UTF-8) and its length in bytes.
    func decodeScalar(at i: Int) -> (UInt32, Int) {
        let b = UInt32(src[i])
        if b < 0x80 { return (b, 1) }
        if b < 0xE0 { return ((b & 0x1F) << 6 | UInt32(src[i + 1] & 0x3F), 2) }
        if b < 0xF0 {
            return ((b & 0x0F) << 12 | UInt32(src[i + 1] & 0x3F) << 6 | UInt32(src[i + 2] & 0x3F), 3)
        }
        let v =
            (b & 0x07) << 18 | UInt32(src[i + 1] & 0x3F) << 12 | UInt32(src[i + 2] & 0x3F) << 6
            | UInt32(src[i + 3] & 0x3F)
        return (v, 4)
    }

    func matches(_ literal: StaticString, at i: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= src.count else { return false }
        let bytes = literal.utf8Start
        for k in 0..<count where src[i + k] != bytes[k] { return false }
        return true
    }

    /// The index just past the first `needle` at or after `from`, or the end.
    func skip(past needle: [UInt8], from: Int, caseInsensitive: Bool) -> Int {
        let n = src.count
        var i = from
        while i < n {
            if i + needle.count <= n {
                var k = 0
                while k < needle.count {
                    let b = caseInsensitive ? Self.lowerASCII(src[i + k]) : src[i + k]
                    if b != needle[k] { break }
                    k += 1
                }
                if k == needle.count { return i + needle.count }
            }
            i += 1
        }
        return n
    }

    static func lowerASCII(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b
    }

    static func isASCIIAlphanumeric(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// Reads `<name attr="v" ...>` at `i`; `nil` when the `<` does not start a tag.
    func readTag(at i: Int) -> Tag? {
        let n = src.count
        var c = i + 1
        var closing = false
        if c < n, src[c] == UInt8(ascii: "/") {
            closing = true
            c += 1
        }
        let nameStart = c
        var asciiName = true
        while c < n {
            let b = src[c]
            if b < 0x80 {
                guard Self.isASCIIAlphanumeric(b) else { break }
                c += 1
            } else {
                let (scalar, length) = decodeScalar(at: c)
                guard let s = Unicode.Scalar(scalar), s.properties.isAlphabetic else { break }
                asciiName = false
                c += length
            }
        }
        if c == nameStart {
            guard c < n, src[c] == UInt8(ascii: "!") || src[c] == UInt8(ascii: "?") else { return nil }
        }
        let nameEnd = c
        let attributesStart = c
        var quote: UInt8 = 0
        while c < n {
            let b = src[c]
            c += 1
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                // Plain non-ASCII letters never lowercase to ASCII, so such a name is none we know. The name's
                // bytes are kept only for a hidden element, whose end tag is searched for.
                let kind = asciiName ? kind(ofNameAt: nameStart..<nameEnd) : .other
                let name = kind == .hidden ? src[nameStart..<nameEnd].map(Self.lowerASCII) : []
                return Tag(
                    kind: kind, closing: closing, name: name, attributes: attributesStart..<(c - 1), end: c)
            }
        }
        return nil
    }

    /// The kind of the tag whose ASCII name is `src[range]`, compared lowercased, without copying it.
    func kind(ofNameAt range: Range<Int>) -> TagKind {
        func named(_ literal: StaticString) -> Bool {
            guard literal.utf8CodeUnitCount == range.count else { return false }
            for k in 0..<range.count where Self.lowerASCII(src[range.lowerBound + k]) != literal.utf8Start[k]
            {
                return false
            }
            return true
        }
        switch range.count {
        case 1:
            switch Self.lowerASCII(src[range.lowerBound]) {
            case UInt8(ascii: "a"): return .a
            case UInt8(ascii: "p"): return .paragraphCloser
            default: return .other
            }
        case 2:
            let (x, y) = (Self.lowerASCII(src[range.lowerBound]), Self.lowerASCII(src[range.lowerBound + 1]))
            if x == UInt8(ascii: "h"), y >= UInt8(ascii: "1"), y <= UInt8(ascii: "6") {
                return .paragraphCloser
            }
            switch (x, y) {
            case (UInt8(ascii: "b"), UInt8(ascii: "r")): return .br
            case (UInt8(ascii: "h"), UInt8(ascii: "r")): return .hr
            case (UInt8(ascii: "t"), UInt8(ascii: "d")), (UInt8(ascii: "t"), UInt8(ascii: "h")): return .cell
            case (UInt8(ascii: "l"), UInt8(ascii: "i")), (UInt8(ascii: "t"), UInt8(ascii: "r")),
                (UInt8(ascii: "u"), UInt8(ascii: "l")), (UInt8(ascii: "o"), UInt8(ascii: "l")):
                return .lineCloser
            default: return .other
            }
        default:
            if named("style") || named("script") || named("head") || named("title") { return .hidden }
            if named("table") { return .paragraphCloser }
            if named("div") || named("blockquote") { return .lineCloser }
            return .other
        }
    }

    // MARK: - Text

    /// Appends a text run: entities decoded, white space collapsed. `false` when an entity
    /// decodes to a scalar that is not plain.
    mutating func appendText(_ range: Range<Int>) -> Bool {
        var k = range.lowerBound
        let end = range.upperBound
        while k < end {
            let b = src[k]
            if b == UInt8(ascii: "&") {
                switch entity(at: k, end: end) {
                case nil:
                    appendCollapsedASCII(b)
                    k += 1
                case .some((let scalar, let next)):
                    guard appendDecoded(scalar) else { return false }
                    k = next
                }
            } else if b < 0x80 {
                appendCollapsedASCII(b)
                k += 1
            } else if b == 0xC2, src[k + 1] == 0xA0 {
                out.append(32)  // a no-break space shows as a space but never collapses
                k += 2
            } else {
                let length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                out.append(contentsOf: src[k..<(k + length)])
                k += length
            }
        }
        return true
    }

    mutating func appendCollapsedASCII(_ b: UInt8) {
        if b == 32 || (b >= 9 && b <= 13) {
            if let last = out.last, last != 32, last != 10 { out.append(32) }
        } else {
            out.append(b)
        }
    }

    mutating func appendDecoded(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            appendCollapsedASCII(UInt8(v))
        } else if v == 0xA0 {
            out.append(32)
        } else if HTMLText.isPlainScalar(v) {
            out.append(contentsOf: UTF8.encode(scalar)!)
        } else {
            return false
        }
        return true
    }

    /// The character reference starting at the `&` at `i` (not reaching past `end`): its scalar and
    /// the index after its `;`; `nil` when it is none we decode.
    func entity(at i: Int, end: Int) -> (Unicode.Scalar, Int)? {
        // The Character walk looks for ';' among the next 12 Characters; a name with anything
        // but ASCII in it decodes to nothing either way, so bytes may stop at the first such byte.
        var semi = -1
        var k = i + 1
        while k < end, k <= i + 12 {
            let b = src[k]
            if b == UInt8(ascii: ";") {
                semi = k
                break
            }
            if b >= 0x80 { return nil }
            k += 1
        }
        guard semi > 0 else { return nil }
        let name = UnsafeBufferPointer(rebasing: src[(i + 1)..<semi])
        let scalar: Unicode.Scalar?
        if name.count >= 2, name[0] == UInt8(ascii: "#"), name[1] | 0x20 == UInt8(ascii: "x") {
            scalar = Self.parseUInt32(UnsafeBufferPointer(rebasing: name[2...]), radix: 16).flatMap(
                Unicode.Scalar.init)
        } else if name.count >= 1, name[0] == UInt8(ascii: "#") {
            scalar = Self.parseUInt32(UnsafeBufferPointer(rebasing: name[1...]), radix: 10).flatMap(
                Unicode.Scalar.init)
        } else {
            scalar = HTMLText.namedEntities[String(decoding: name, as: UTF8.self)]?.unicodeScalars.first
        }
        return scalar.map { ($0, semi + 1) }
    }

    /// `UInt32(text, radix:)` over bytes, with its rules: an optional sign, at least one digit,
    /// `nil` on overflow or on a negative non-zero value.
    static func parseUInt32(_ text: UnsafeBufferPointer<UInt8>, radix: UInt32) -> UInt32? {
        UInt32(String(decoding: text, as: UTF8.self), radix: Int(radix))
    }

    /// `HTMLText.decodeEntities` over bytes; `nil` when a reference decodes to a scalar that is
    /// not plain.
    func decodeEntities(_ range: Range<Int>) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(range.count)
        var k = range.lowerBound
        while k < range.upperBound {
            let b = src[k]
            guard b == UInt8(ascii: "&"), let (scalar, next) = entity(at: k, end: range.upperBound) else {
                decoded.append(b)
                k += 1
                continue
            }
            guard scalar.value < 0x80 || scalar.value == 0xA0 || HTMLText.isPlainScalar(scalar.value) else {
                return nil
            }
            decoded.append(contentsOf: UTF8.encode(scalar)!)
            k = next
        }
        return decoded
    }

    // MARK: - Links

    /// The raw `href` value among a tag's attributes, as `HTMLText.attribute` finds it.
    func href(in attributes: Range<Int>) -> Range<Int>? {
        guard !src[attributes].contains(where: { $0 >= 0x80 }) else {
            // Unicode lowercasing can change the length of the text; leave that to the String code.
            let text = String(decoding: src[attributes], as: UTF8.self)
            guard let value = HTMLText.attribute("href", in: text) else { return nil }
            return locate(value, in: attributes)
        }
        let key = Array("href".utf8)
        var i = attributes.lowerBound
        let end = attributes.upperBound
        while i + key.count <= end {
            let before = i == attributes.lowerBound ? 32 : Self.lowerASCII(src[i - 1])
            if (0..<key.count).allSatisfy({ Self.lowerASCII(src[i + $0]) == key[$0] }),
                before == 32 || before == 9 || before == 10
            {
                var j = i + key.count
                while j < end, src[j] == 32 { j += 1 }
                guard j < end, src[j] == UInt8(ascii: "=") else {
                    i += 1
                    continue
                }
                j += 1
                while j < end, src[j] == 32 { j += 1 }
                guard j < end else { return j..<j }
                if src[j] == UInt8(ascii: "\"") || src[j] == UInt8(ascii: "'") {
                    let q = src[j]
                    j += 1
                    let start = j
                    while j < end, src[j] != q { j += 1 }
                    return start..<j
                }
                let start = j
                while j < end, !(src[j] == 32 || (src[j] >= 9 && src[j] <= 13)) { j += 1 }
                return start..<j
            }
            i += 1
        }
        return nil
    }

    /// Where the String code's attribute value sits in the source: it is always a contiguous
    /// copy, but finding it again keeps `decodeEntities` on one path.
    func locate(_ value: String, in attributes: Range<Int>) -> Range<Int>? {
        let needle = Array(value.utf8)
        if needle.isEmpty { return attributes.upperBound..<attributes.upperBound }
        var i = attributes.lowerBound
        while i + needle.count <= attributes.upperBound {
            if src[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }

    mutating func closeLink() {
        defer { linkHref = nil }
        guard let href = linkHref, let marker = out.lastIndex(of: 0) else { return }
        var lo = marker + 1
        var hi = out.count
        while lo < hi, out[lo] == 32 || out[lo] == 10 { lo += 1 }
        while hi > lo, out[hi - 1] == 32 || out[hi - 1] == 10 { hi -= 1 }
        let label = Array(out[lo..<hi])
        out.removeSubrange(marker...)
        let mailto = Array("mailto:".utf8)
        let shown = href.starts(with: mailto) ? Array(href.dropFirst(mailto.count)) : href
        if href.isEmpty || href.first == UInt8(ascii: "#") {
            out.append(contentsOf: label)
        } else if label.isEmpty || label == href || label == shown {
            out.append(contentsOf: shown)
        } else {
            out.append(contentsOf: label)
            out.append(contentsOf: " (".utf8)
            out.append(contentsOf: shown)
            out.append(UInt8(ascii: ")"))
        }
    }
}
