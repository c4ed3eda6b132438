/// Address syntax, checked before anything is sent.
///
/// The one implementation: the engine refuses a send to an address that breaks it (`invalid-address`, the
/// same in a dry-run and in the daemon), `send-test` refuses its `--to`, and the SMTP and Twilio adapters
/// check again before they prepare a message.
public enum AddressSyntax {
    /// Why `address` cannot receive a message on `channel`, or `nil`: an email address's syntax
    /// (``emailProblem(_:)``), an SMS number's E.164 form (``phoneProblem(_:)``); a chat id is the chat
    /// service's business.
    public static func problem(_ address: String, on channel: Channel) -> String? {
        switch channel {
        case .email: emailProblem(address)
        case .sms: phoneProblem(address)
        case .chat: nil
        }
    }

    /// Why `number` is not an E.164 phone number (`+` and 2–15 digits, the first not 0), or `nil`. Twilio's
    /// `whatsapp:` prefix is allowed before one.
    public static func phoneProblem(_ number: String) -> String? {
        let bare = number.hasPrefix("whatsapp:") ? String(number.dropFirst(9)) : number
        let digits = bare.utf8.dropFirst()
        let ok =
            bare.utf8.first == UInt8(ascii: "+") && (2...15).contains(digits.count)
            && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            && digits.first != UInt8(ascii: "0")
        return ok
            ? nil
            : "'\(LogSafety.clean(number))' is not an E.164 phone number (+ and up to 15 digits, e.g. +15550100)"
    }

    /// Why `address` is not a usable email address, or `nil`: one `local@domain`, local part 1–64 octets, a
    /// domain of dot-separated labels (letters, digits, `-`, or non-ASCII for internationalised names), no
    /// spaces, control characters or `<>,"` that could break the header or the envelope.
    public static func emailProblem(_ address: String) -> String? {
        // Every send checks its address: an ASCII one that passes is settled by one scan of its bytes, and
        // the message for one that does not is made only then (masking it cost more than the check).
        isPlainValidEmail(address) ? nil : fullEmailProblem(address)
    }

    /// ``emailProblem(_:)`` rule by rule, over Unicode scalars: the definition, and the message.
    static func fullEmailProblem(_ address: String) -> String? {
        var bad: String { "'\(LogSafety.clean(address))' is not a usable email address" }
        guard let at = address.lastIndex(of: "@") else { return bad + " (no @)" }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        if local.isEmpty || local.utf8.count > 64 { return bad + " (the part before @ is empty or too long)" }
        if address.utf8.count > 254 { return bad + " (longer than 254 octets)" }
        if address.unicodeScalars.contains(where: {
            $0.value < 0x21 || $0.value == 0x7F || $0 == "<" || $0 == ">" || $0 == "," || $0 == "\""
                || $0 == "(" || $0 == ")" || $0 == ";" || $0 == "\\" || $0 == "[" || $0 == "]"
        }) {
            return bad
        }
        if local.contains("@") || local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            return bad
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 1, !domain.isEmpty,
            labels.allSatisfy({ label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy {
                        !$0.isASCII || ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
                    }
            })
        else { return bad + " (the domain after @ is not a host name)" }
        return nil
    }

    /// Whether `address` is ASCII and passes every rule of ``emailProblem(_:)``, read in one pass over its
    /// bytes. `false` decides nothing: ``emailProblem(_:)`` then checks it in full and says what is wrong.
    static func isPlainValidEmail(_ address: String) -> Bool {
        address.utf8.withContiguousStorageIfAvailable { b -> Bool in
            let n = b.count
            guard n <= 254 else { return false }
            var at = -1
            var ats = 0
            for i in 0..<n {
                let c = b[i]
                // ASCII, not a control character, a space or DEL, none of `<>,"();\[]`.
                guard c >= 0x21, c < 0x7F else { return false }
                switch c {
                case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: "\""),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "\\"),
                    UInt8(ascii: "["), UInt8(ascii: "]"):
                    return false
                case UInt8(ascii: "@"):
                    at = i
                    ats += 1
                default: break
                }
            }
            // One @, a local part of 1–64 octets that neither starts nor ends with a dot nor has two in a row.
            guard ats == 1, at >= 1, at <= 64, at < n - 1 else { return false }
            guard b[0] != UInt8(ascii: "."), b[at - 1] != UInt8(ascii: ".") else { return false }
            for i in 1..<at where b[i] == UInt8(ascii: ".") && b[i - 1] == UInt8(ascii: ".") { return false }
            // Labels of 1–63 letters, digits and hyphens, not starting or ending with a hyphen.
            var start = at + 1
            while start <= n {
                var end = start
                while end < n, b[end] != UInt8(ascii: ".") { end += 1 }
                let length = end - start
                guard length >= 1, length <= 63, b[start] != UInt8(ascii: "-"),
                    b[end - 1] != UInt8(ascii: "-")
                else { return false }
                for i in start..<end {
                    let c = b[i] | 0x20  // lowercased when a letter
                    let letter = c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")
                    let digit = b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9")
                    guard letter || digit || b[i] == UInt8(ascii: "-") else { return false }
                }
                start = end + 1
            }
            return true
        } ?? false
    }
}
