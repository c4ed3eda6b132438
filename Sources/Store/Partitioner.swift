/// Which partition a customer belongs to: a stable hash of the `userId`, the same on every node, every
/// platform and every version (Swift's own `Hasher` is seeded per process, so it cannot be used).
///
/// `partition = (FNV-1a-64(UTF-8 bytes of userId) >> 1) mod partitions`. The shift keeps the stored hash
/// (``keyHash(_:)``) a non-negative `bigint`, so the store can recompute partitions in SQL.
public struct Partitioner: Sendable, Hashable {
    /// The number of partitions, fixed for the life of a cluster store.
    public let count: Int

    /// A partitioner over `count` partitions (at least 1).
    public init(count: Int) {
        precondition(count >= 1, "at least one partition")
        self.count = count
    }

    /// The partition of the customer `userId`, in `0..<count`.
    public func partition(of userId: String) -> Int {
        Int(Self.keyHash(userId) % Int64(count))
    }

    /// The partition of bytes that name no customer (a quarantined line): whoever holds it records them, once.
    public func partition(ofBytes bytes: some Sequence<UInt8>) -> Int {
        Int(Self.keyHash(bytes: bytes) % Int64(count))
    }

    /// FNV-1a-64 of the UTF-8 bytes, shifted right by one: non-negative as an `Int64`.
    public static func keyHash(_ userId: String) -> Int64 {
        keyHash(bytes: userId.utf8)
    }

    /// FNV-1a-64 of `bytes`, shifted right by one.
    public static func keyHash(bytes: some Sequence<UInt8>) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(hash >> 1)
    }
}
