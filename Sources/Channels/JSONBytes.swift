import TouchpointCore

/// Compact JSON written straight into UTF-8 bytes, for payloads built on every send.
///
/// Produces exactly what `JSONValue.jsonText` produces for the same value (callers write keys in sorted
/// order), without building a `JSONValue` tree or appending to a `String` scalar by scalar.
struct JSONBytes {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func raw(_ ascii: StaticString) {
        ascii.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `"key":` — keys are ASCII literals that need no escaping.
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// `s` as a quoted JSON string, escaped like `JSONValue.writeQuoted` (``JSONValue/appendQuoted(_:to:)``).
    mutating func string(_ s: String) {
        JSONValue.appendQuoted(s, to: &bytes)
    }
}
