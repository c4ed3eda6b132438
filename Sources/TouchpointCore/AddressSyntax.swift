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
        let bad = "'\(LogSafety.clean(address))' is not a usable email address"
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
}
