/// The `messageId`s a dry-run has seen, kept as 128-bit keyed hashes instead of strings.
///
/// A UUID string costs about 100 bytes in a `Set<String>` (heap storage plus the slot); its two 64-bit
/// hashes cost 16 plus the slot, so a 10M-event replay keeps ~250 MB less. The hashes are keyed per
/// process (`Hasher`'s random seed, salted twice), so an input cannot be crafted to collide, and the
/// chance that two distinct ids in a run of n events collide is about n² / 2¹²⁹ — below 10⁻²⁴ for
/// 10M events. Only membership is ever asked, so the random key cannot change the output.
struct SeenMessageIDs {
    private struct Key: Hashable {
        var a: Int
        var b: Int

        func hash(into hasher: inout Hasher) { hasher.combine(a) }

        // `a` is already a keyed hash, uniform over Int: the set's bucket comes from it directly instead of
        // hashing it again (which was a tenth of a one-rule replay: each resize rehashes every key).
        func _rawHashValue(seed: Int) -> Int { a ^ seed }
    }

    private var keys: Set<Key> = []

    var count: Int { keys.count }

    /// Adds `id`; false when it was already there.
    mutating func insert(_ id: String) -> Bool {
        var h1 = Hasher()
        h1.combine(0x5EED_0001 as UInt32)
        h1.combine(id)
        var h2 = Hasher()
        h2.combine(0x5EED_0002 as UInt32)
        h2.combine(id)
        return keys.insert(Key(a: h1.finalize(), b: h2.finalize())).inserted
    }
}
