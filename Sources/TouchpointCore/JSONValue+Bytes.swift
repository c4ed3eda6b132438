/// JSON text straight into UTF-8 bytes: one string escaper for the dry-run lines and the channel payloads.
extension JSONValue {
    /// Appends `s` quoted, with `JSONValue.writeQuoted`'s escapes: `\"`, `\\`, `\n`, `\r`, `\t`,
    /// `\u00XX` for other control characters and `\u2028`/`\u2029`; other UTF-8 as it is.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            let n = bytes.count
            let raw = UnsafeRawBufferPointer(bytes)
            var runStart = 0
            var i = 0
            while i < n {
                // Eight bytes at a time while none of them needs a look (most of a rendered body).
                if i + 8 <= n, !mayNeedEscape(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i += 8
                    continue
                }
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

    /// Whether any of the eight bytes in `w` is one the byte loop must look at: below 0x20, `"`, `\`, or
    /// 0xE2 (the lead byte of U+2028 and U+2029). Each test is the exact "some byte is zero / less than n"
    /// word trick: a borrow can only start at a byte that matches, so `false` means none does.
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let control = (w &- ones &* 0x20) & ~w & highs != 0
        return control || hasZeroByte(w ^ (ones &* 0x22)) || hasZeroByte(w ^ (ones &* 0x5C))
            || hasZeroByte(w ^ (ones &* 0xE2))
    }

    @inline(__always)
    private static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10
    }

    @inline(__always)
    private static func appendLiteral(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(
            contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}

extension JSONValue {
    /// Appends a number as `JSONValue.format(number:)` writes it.
    public static func appendNumber(_ n: Double, to out: inout [UInt8]) {
        if n.rounded() == n, abs(n) < 1e15 {
            appendInteger(Int64(n), to: &out)
        } else {
            out.append(contentsOf: format(number: n).utf8)
        }
    }

    /// Appends `v` in decimal.
    public static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = v.magnitude
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends compact JSON with sorted keys: the one JSON writer (``jsonText`` is this, as a String).
    public func append(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): JSONValue.appendNumber(n, to: &out)
        case .string(let s): JSONValue.appendQuoted(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.append(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(k, to: &out)
                out.append(UInt8(ascii: ":"))
                o[k]!.append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
