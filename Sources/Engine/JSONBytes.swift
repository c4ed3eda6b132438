import TouchpointCore

/// JSON text written straight into a UTF-8 byte buffer, byte for byte what `JSONValue.write(to:)`
/// and `ISO8601.format` produce: a dry-run prints a line per message, and assembling those lines
/// from small Strings cost more than deciding the messages.
enum JSONBytes {
    /// Appends `literal` as it is (keys, punctuation, `null`).
    @inline(__always)
    static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(
            contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `s` quoted, with `JSONValue.writeQuoted`'s escapes (``JSONValue/appendQuoted(_:to:)``).
    @inline(__always)
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        JSONValue.appendQuoted(s, to: &out)
    }

    /// Appends `s` quoted, or `null`.
    static func appendQuoted(_ s: String?, to out: inout [UInt8]) {
        if let s { appendQuoted(s, to: &out) } else { append("null", to: &out) }
    }

    /// Appends a number as `JSONValue.format(number:)` writes it.
    static func appendNumber(_ n: Double, to out: inout [UInt8]) {
        if n.rounded() == n, abs(n) < 1e15 {
            appendInteger(Int64(n), to: &out)
        } else {
            out.append(contentsOf: JSONValue.format(number: n).utf8)
        }
    }

    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
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

    /// Appends any JSON value with sorted keys, as `JSONValue.write(to:)` does.
    static func appendValue(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: append("null", to: &out)
        case .bool(let b): b ? append("true", to: &out) : append("false", to: &out)
        case .number(let n): appendNumber(n, to: &out)
        case .string(let s): appendQuoted(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(v, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendQuoted(k, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(o[k]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `zone.format(instant)` quoted.
    static func appendTime(_ instant: Instant, in zone: Zone, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        zone.append(instant, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `ISO8601.format(instant, offsetSeconds:)` quoted.
    static func appendTime(_ instant: Instant, offsetSeconds: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        ISO8601.append(instant, offsetSeconds: offsetSeconds, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
