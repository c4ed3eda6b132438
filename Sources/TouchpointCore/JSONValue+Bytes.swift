/// JSON text straight into UTF-8 bytes: one string escaper for the dry-run lines and the channel payloads.
extension JSONValue {
    /// Appends `s` quoted, with `JSONValue.writeQuoted`'s escapes: `\"`, `\\`, `\n`, `\r`, `\t`,
    /// `\u00XX` for other control characters and `\u2028`/`\u2029`; other UTF-8 as it is.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            let n = bytes.count
            var runStart = 0
            var i = 0
            while i < n {
                let b = bytes[i]
                if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b != 0xE2 {
                    i += 1
                    continue
                }
                if b == 0xE2 {
                    // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
                    guard i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 else {
                        i += 1
                        continue
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                    appendLiteral(bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", to: &out)
                    i += 3
                    runStart = i
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                switch b {
                case UInt8(ascii: "\""): appendLiteral("\\\"", to: &out)
                case UInt8(ascii: "\\"): appendLiteral("\\\\", to: &out)
                case 10: appendLiteral("\\n", to: &out)
                case 13: appendLiteral("\\r", to: &out)
                case 9: appendLiteral("\\t", to: &out)
                default:
                    appendLiteral("\\u00", to: &out)
                    out.append(hexDigit(b >> 4))
                    out.append(hexDigit(b & 0xF))
                }
                i += 1
                runStart = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<n]))
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10
    }

    @inline(__always)
    private static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
