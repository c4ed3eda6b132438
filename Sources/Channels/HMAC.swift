import TouchpointCore

/// HMAC-SHA256 (RFC 2104) over Core's SHA-256, for Standard Webhooks signatures.
public enum HMAC {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var k = key.count > blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        let inner = SHA256.hash(k.map { $0 ^ 0x36 } + message)
        return SHA256.hash(k.map { $0 ^ 0x5c } + inner)
    }
}
