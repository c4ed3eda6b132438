import TouchpointCore

/// Twilio's webhook signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed by the account's auth
/// token, over the full URL Twilio called followed by every POST parameter, sorted by name, as name and
/// value with nothing between.
enum TwilioSignature {
    static func expected(token: String, url: String, form: FormBody) -> String {
        var data = url
        for pair in form.pairs.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            data += pair.name + pair.value
        }
        return Base64.encode(HMAC.sha1(key: Array(token.utf8), message: Array(data.utf8)))
    }

    static func isValid(_ signature: String?, token: String, url: String, form: FormBody) -> Bool {
        guard let signature else { return false }
        return HMAC.equal(Array(signature.utf8), Array(expected(token: token, url: url, form: form).utf8))
    }
}
