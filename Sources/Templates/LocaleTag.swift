/// BCP 47-ish locale tags as they appear in template file names.
enum LocaleTag {
    /// The canonical spelling (`zh_cn` → `zh-CN`, `zh-hant-tw` → `zh-Hant-TW`), or `nil`
    /// when `raw` is not a locale tag.
    static func canonical(_ raw: String) -> String? {
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        guard let language = parts.first, (2...3).contains(language.count),
            language.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return nil }
        var out = language.lowercased()
        for part in parts.dropFirst() {
            guard (1...8).contains(part.count),
                part.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { return nil }
            out += "-"
            if part.count == 2, part.allSatisfy(\.isLetter) {
                out += part.uppercased()
            } else if part.count == 4, part.allSatisfy(\.isLetter) {
                out += part.prefix(1).uppercased() + part.dropFirst().lowercased()
            } else {
                out += part.lowercased()
            }
        }
        return out
    }

    /// The lookup order for a requested locale: itself, each shorter prefix, then the default (`nil`).
    static func fallbackChain(_ requested: String?) -> [String?] {
        guard let requested, let tag = canonical(requested) else { return [nil] }
        var chain: [String?] = []
        var parts = tag.split(separator: "-").map(String.init)
        while !parts.isEmpty {
            chain.append(parts.joined(separator: "-"))
            parts.removeLast()
        }
        chain.append(nil)
        return chain
    }
}
