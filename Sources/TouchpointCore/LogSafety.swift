/// Making a value safe to log or to show in a stored reason: control characters escaped, email addresses
/// and phone numbers masked. The daemon's log handler applies it to every logged value.
public enum LogSafety {
    /// `text` with control characters escaped and addresses masked.
    public static func clean(_ text: String) -> String {
        maskAddresses(escapeControls(text))
    }

    /// C0, DEL, C1 and the Unicode line and paragraph separators as `\n`, `\r`, `\t` or `\u{…}`; a
    /// backslash as `\\`, so an escape in the data cannot pass for one made here.
    public static func escapeControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if needsEscape(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
            || s == "\\"
    }

    /// Every email address (a run of non-space, non-bracket characters around an `@`) and phone number (`+`
    /// and 7 or more digits) in `text`, masked down to its first characters.
    public static func maskAddresses(_ text: String) -> String {
        guard text.contains("@") || text.contains("+") else { return text }
        var out = ""
        var token = ""
        func flush() {
            out += mask(token)
            token = ""
        }
        for ch in text {
            if ch.isWhitespace || "<>\"'(),;[]{}".contains(ch) {
                flush()
                out.append(ch)
            } else {
                token.append(ch)
            }
        }
        flush()
        return out
    }

    /// One token masked, or as it was when it is neither an address nor a phone number.
    public static func mask(_ token: String) -> String {
        if let at = token.firstIndex(of: "@"), at != token.startIndex,
            token.index(after: at) != token.endIndex
        {
            let local = token[..<at]
            let domain = token[token.index(after: at)...]
            let tld = domain.lastIndex(of: ".").map { String(domain[$0...]) } ?? ""
            return "\(local.first!)***@\(domain.first!)***\(tld.count <= 8 ? tld : "")"
        }
        if token.hasPrefix("+") {
            let digits = token.dropFirst()
            if digits.count >= 7, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
                return "+" + digits.prefix(3) + "***" + digits.suffix(2)
            }
        }
        return token
    }
}
