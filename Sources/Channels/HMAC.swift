import Crypto
import TouchpointCore

/// HMAC-SHA256 (RFC 2104), for Standard Webhooks signatures, from swift-crypto.
public enum HMAC {
    /// A signing key, made once per adapter. The bytes are kept, not a `SymmetricKey`: that type is
    /// not `Sendable` in swift-crypto 3.12, and making one per signature is cheap.
    struct Key: Sendable {
        private let bytes: [UInt8]

        init(_ key: [UInt8]) {
            bytes = key
        }

        /// The 32-byte HMAC of the concatenation of `parts`.
        func mac(_ parts: [UInt8]...) -> [UInt8] {
            var hmac = Crypto.HMAC<Crypto.SHA256>(key: SymmetricKey(data: bytes))
            for part in parts { hmac.update(data: part) }
            return Array(hmac.finalize())
        }
    }

    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Key(key).mac(message)
    }
}
