/// xoshiro256** 1.0 (Blackman & Vigna, 2018), seeded from SplitMix64 as its authors recommend.
///
/// Only integer operations and exact conversions are used to turn its output into choices, so the same
/// seed gives the same stream on every machine and compiler.
struct Xoshiro256StarStar {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Expands `seed` into the 256-bit state with four SplitMix64 outputs.
    init(seed: UInt64) {
        var seeder = SplitMix64(state: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    /// Returns the next 64 bits.
    mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A value in `0..<n` by the multiply-high method (Lemire). The bias, at most n / 2^64, is irrelevant here
    /// and it keeps the number of draws per call fixed, which keeps the stream easy to reason about.
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A value in `lo...hi`.
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        lo + below(hi - lo + 1)
    }

    /// A value in `lo...hi` as Int64 (milliseconds).
    mutating func ms(_ lo: Int64, _ hi: Int64) -> Int64 {
        Int64(int(Int(lo), Int(hi)))
    }

    /// A uniform double in [0, 1) with 53 random bits; the conversion is exact.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
