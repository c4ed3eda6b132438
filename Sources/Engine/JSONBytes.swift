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

    /// Appends a number as `JSONValue.format(number:)` writes it (Core's writer).
    @inline(__always)
    static func appendNumber(_ n: Double, to out: inout [UInt8]) { JSONValue.appendNumber(n, to: &out) }

    @inline(__always)
    static func appendInteger(_ v: Int64, to out: inout [UInt8]) { JSONValue.appendInteger(v, to: &out) }

    /// Appends any JSON value with sorted keys (Core's writer).
    @inline(__always)
    static func appendValue(_ value: JSONValue, to out: inout [UInt8]) { value.append(to: &out) }

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
