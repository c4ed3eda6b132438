import Foundation

/// An `application/x-www-form-urlencoded` body as ordered name/value pairs (Twilio's signature needs
/// every pair; a Codable decoder would drop unknown ones).
struct FormBody: Sendable {
    var pairs: [(name: String, value: String)]

    /// Parses `bytes`; `nil` when a percent escape is broken or the result is not UTF-8.
    init?(_ bytes: [UInt8]) {
        pairs = []
        guard !bytes.isEmpty else { return }
        for field in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = field.split(
                separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : [])
            else {
                return nil
            }
            pairs.append((name, value))
        }
    }

    /// The fields of a `multipart/form-data` body (RFC 7578) with `boundary`: each part's `name` and its
    /// content, trimmed of the line break before the next boundary. RFC 8058 lets a mailbox provider
    /// send its one-click POST either way.
    init?(multipart bytes: [UInt8], boundary: String) {
        pairs = []
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "--" + boundary)
        guard parts.count >= 2 else { return nil }
        for part in parts.dropFirst() {
            guard let split = part.range(of: "\r\n\r\n") ?? part.range(of: "\n\n") else { continue }
            let head = part[..<split.lowerBound]
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let nameTail = head[nameRange.upperBound...]
            guard let close = nameTail.firstIndex(of: "\"") else { continue }
            var value = String(part[split.upperBound...])
            while value.hasSuffix("\r\n") || value.hasSuffix("\n") { value.removeLast() }
            pairs.append((String(nameTail[..<close]), value))
        }
    }

    /// The boundary of a `multipart/form-data` content type, or `nil` for any other type.
    static func multipartBoundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let kv = parameter.trimmingCharacters(in: .whitespaces)
            guard kv.lowercased().hasPrefix("boundary=") else { continue }
            var b = String(kv.dropFirst("boundary=".count))
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b.isEmpty ? nil : b
        }
        return nil
    }

    /// The first value of `name`.
    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    static func decode(_ raw: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%") {
                guard i + 2 < raw.endIndex, let hi = hex(raw[i + 1]), let lo = hex(raw[i + 2]) else {
                    return nil
                }
                out.append(hi << 4 | lo)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
