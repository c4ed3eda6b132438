import TouchpointCore

extension JSONParser {
    /// Parses the object at `index` member by member without building it: `member` gets each key's
    /// UTF-8 bytes (escapes already decoded) and must consume exactly one value, with
    /// ``parseValue(depth:)`` or ``skipValue(depth:)``. Later duplicates simply come later.
    ///
    /// This lets the event decoder pick out its fields without a dictionary for the top level, and
    /// without building values it does not keep. Errors are the same as ``parseObject(depth:)``'s.
    mutating func forEachMember(
        depth: Int,
        _ member: (_ key: UnsafeBufferPointer<UInt8>, _ parser: inout JSONParser) throws(JSONError) -> Void
    ) throws(JSONError) {
        guard depth <= JSON.maximumDepth else {
            throw error("nesting deeper than \(JSON.maximumDepth) levels")
        }
        index += 1
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard index < count, base[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key in object, found \(describeCurrent())")
            }
            let (raw, escaped) = try scanString()
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key")
            }
            index += 1
            skipWhitespace()
            if escaped {
                let key = Array(Self.unescape(raw).utf8)
                // `Array.withUnsafeBufferPointer` only rethrows untyped errors; carry the typed one out.
                var failure: JSONError? = nil
                key.withUnsafeBufferPointer { bytes in
                    do throws(JSONError) { try member(bytes, &self) } catch { failure = error }
                }
                if let failure { throw failure }
            } else {
                try member(raw, &self)
            }
            if try endOfMember() { return }
        }
    }

    /// Validates and steps over one value without building it; errors match ``parseValue(depth:)``.
    mutating func skipValue(depth: Int) throws(JSONError) {
        guard index < count else { throw error("expected a JSON value, found end of input") }
        switch base[index] {
        case UInt8(ascii: "{"):
            try forEachMember(depth: depth + 1) { _, parser throws(JSONError) in
                try parser.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            guard depth + 1 <= JSON.maximumDepth else {
                throw error("nesting deeper than \(JSON.maximumDepth) levels")
            }
            index += 1
            skipWhitespace()
            if index < count, base[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                if try endOfElement() { return }
            }
        case UInt8(ascii: "\""):
            _ = try scanString()
        default:
            _ = try parseValue(depth: depth)
        }
    }

    /// Whether a key's bytes spell `name`.
    @inline(__always)
    static func key(_ key: UnsafeBufferPointer<UInt8>, is name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for i in 0..<key.count where key[i] != p[i] { return false }
        return true
    }
}
