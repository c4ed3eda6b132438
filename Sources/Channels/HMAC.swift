import TouchpointCore

/// HMAC-SHA256 (RFC 2104), for Standard Webhooks signatures.
public enum HMAC {
    /// A key with its padded blocks already hashed: signing many messages with one key skips two
    /// compressions per message.
    struct Key: Sendable {
        private let inner: SHA256Stream
        private let outer: SHA256Stream

        init(_ key: [UInt8]) {
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
        func mac(_ parts: [UInt8]...) -> [UInt8] {
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
}
