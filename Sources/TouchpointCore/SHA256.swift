/// SHA-256 (FIPS 180-4), for stable message ids and seeds. Small inputs only; not a streaming API.
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        var stream = SHA256Stream()
        stream.update(Array(data))
        return stream.finish()
    }

    /// The lowercase hex digest of a string's UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        hash(Array(text.utf8)).map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
    }

}

/// Stable identifiers derived from content, so a replay or a restart names things the same way.
public enum StableID {
    /// A message id from rule, customer and trigger: 32 hex characters, the same on every run.
    public static func message(rule: String, customer: String, trigger: String) -> String {
        String(SHA256.hex("touchpoint/v1\u{1F}\(rule)\u{1F}\(customer)\u{1F}\(trigger)").prefix(32))
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
