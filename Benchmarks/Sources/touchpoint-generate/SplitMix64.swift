/// SplitMix64 (Steele, Lea & Flood, 2014): seeds the main generator, and hashes a customer's index
/// into that customer's fixed attributes, so they need no table.
struct SplitMix64 {
    /// The running state; each `next()` adds the golden-ratio increment.
    var state: UInt64

    /// Returns the next 64 bits of the sequence.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finaliser. Every step (xor-shift, multiply by an odd constant) is invertible, so
    /// distinct inputs give distinct outputs: `messageId`s built from it cannot collide.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
