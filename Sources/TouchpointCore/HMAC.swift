/// HMAC (RFC 2104): SHA-256 for Standard Webhooks signatures and tracking tokens, SHA-1 for Twilio's
/// `X-Twilio-Signature`.
public enum HMAC {
    /// A SHA-256 key with its padded blocks already hashed: signing many messages with one key skips two
    /// compressions per message.
    public struct Key: Sendable {
        private let inner: SHA256Stream
        private let outer: SHA256Stream

        /// The key's padded inner and outer blocks, hashed once.
        public init(_ key: [UInt8]) {
            let blockSize = 64
            var k = key.count > blockSize ? SHA256.hash(key) : key
            k += [UInt8](repeating: 0, count: blockSize - k.count)
            var inner = SHA256Stream()
            inner.update(k.map { $0 ^ 0x36 })
            var outer = SHA256Stream()
            outer.update(k.map { $0 ^ 0x5c })
            self.inner = inner
            self.outer = outer
        }

        /// The 32-byte HMAC of the concatenation of `parts`.
        public func mac(_ parts: [UInt8]...) -> [UInt8] {
            var i = inner
            for p in parts { i.update(p) }
            var o = outer
            o.update(i.finish())
            return o.finish()
        }
    }

    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Key(key).mac(message)
    }

    /// The 20-byte HMAC-SHA1 of `message` under `key`.
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var k = key.count > blockSize ? SHA1.hash(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        return SHA1.hash(k.map { $0 ^ 0x5c } + SHA1.hash(k.map { $0 ^ 0x36 } + message))
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
