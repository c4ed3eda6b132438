import Crypto

/// SHA-256 for stable message ids and seeds, from swift-crypto (BoringSSL on Linux, CryptoKit on
/// Apple platforms).
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({
            Array(Crypto.SHA256.hash(data: UnsafeRawBufferPointer($0)))
        }) {
            return digest
        }
        return Array(Crypto.SHA256.hash(data: Array(data)))
    }

    /// The lowercase hex digest of a string's UTF-8 bytes.
    public static func hex(_ text: String) -> String { hex(text, characters: 64) }

    /// The first `characters` (at most 64) lowercase hex digits of the digest of `text`'s UTF-8 bytes.
    static func hex(_ text: String, characters: Int) -> String {
        var text = text
        let digest = text.withUTF8 { Crypto.SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        let count = min(max(characters, 0), 64)
        return String(unsafeUninitializedCapacity: count) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { d in
                var i = 0
                for byte in digest where i < count {
                    out[i] = d[Int(byte >> 4)]
                    if i + 1 < count { out[i + 1] = d[Int(byte & 0x0F)] }
                    i += 2
                }
            }
            return count
        }
    }
}

/// Stable identifiers derived from content, so a replay or a restart names things the same way.
public enum StableID {
    /// A message id from rule, customer and trigger: 32 hex characters, the same on every run.
    public static func message(rule: String, customer: String, trigger: String) -> String {
        SHA256.hex("touchpoint/v1\u{1F}\(rule)\u{1F}\(customer)\u{1F}\(trigger)", characters: 32)
    }

    /// The id of the fallback follow-up of message `first`: derived from it, the same on every run.
    public static func fallback(of first: String) -> String {
        SHA256.hex("touchpoint/v1/fallback\u{1F}\(first)", characters: 32)
    }

    /// A 64-bit seed from any text.
    public static func seed(_ text: String) -> UInt64 {
        let d = SHA256.hash(Array(text.utf8))
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(d[i]) }
        return v
    }
}

/// SplitMix64: a tiny deterministic generator for seeded sampling.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
