import Foundation

/// Crude HTML scanning for tests: enough to find tags and attributes in pages we generate.
enum PageScan {
    /// `page` with the value of every `srcdoc="..."` attribute removed (the email documents).
    static func outsideSrcdoc(_ page: String) -> String {
        var out = ""
        var rest = page[...]
        while let start = rest.range(of: "srcdoc=\"") {
            out += rest[..<start.upperBound]
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return out }
            rest = rest[end...]
        }
        return out + rest
    }

    /// The raw (still escaped) values of every `srcdoc` attribute.
    static func srcdocValues(_ page: String) -> [String] {
        var values: [String] = []
        var rest = page[...]
        while let start = rest.range(of: "srcdoc=\"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            values.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return values
    }

    /// Every start tag as (lowercased name, attribute text).
    static func tags(_ html: String) -> [(name: String, attributes: String)] {
        var result: [(String, String)] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...]
            let name = rest.prefix(while: { $0.isLetter || $0.isNumber })
            guard !name.isEmpty, let close = rest.firstIndex(of: ">") else { continue }
            result.append((name.lowercased(), String(rest[name.endIndex..<close])))
            rest = rest[close...]
        }
        return result
    }

    /// The value of `name="..."` in a tag's attribute text.
    static func attribute(_ name: String, in attributes: String) -> String? {
        guard let r = attributes.range(of: " \(name)=\"") else { return nil }
        let tail = attributes[r.upperBound...]
        return String(tail.prefix(while: { $0 != "\"" }))
    }

    /// Decodes the five entities the page's escaping produces.
    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// How often `needle` occurs in `haystack`.
    static func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }
}
