import Crypto

/// HMAC (RFC 2104) from swift-crypto: SHA-256 for Standard Webhooks signatures and tracking tokens,
/// SHA-1 for Twilio's `X-Twilio-Signature`.
public enum HMAC {
    /// A SHA-256 signing key, made once per adapter or server. The bytes are kept, not a
    /// `SymmetricKey`: that type is not `Sendable` in swift-crypto 3.12, and making one per MAC is cheap.
    public struct Key: Sendable {
        private let bytes: [UInt8]

        /// A key from its bytes.
        public init(_ key: [UInt8]) {
            bytes = key
        }

        /// The 32-byte HMAC of the concatenation of `parts`.
        public func mac(_ parts: [UInt8]...) -> [UInt8] {
            var hmac = Crypto.HMAC<Crypto.SHA256>(key: SymmetricKey(data: bytes))
            for part in parts { hmac.update(data: part) }
            return Array(hmac.finalize())
        }
    }

    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Key(key).mac(message)
    }

    /// The 20-byte HMAC-SHA1 of `message` under `key`.
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(Crypto.HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Compares two MACs in time that depends only on their lengths, so a forger learns nothing from
    /// how quickly a wrong guess is refused.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
