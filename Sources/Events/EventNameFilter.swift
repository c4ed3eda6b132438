/// A set of event names with a cheap first test: most names looked up are not in it, and a 64-bit mask
/// of (length, first byte, last byte) says so for most of them without hashing the name.
public struct EventNameFilter: Sendable {
    public let names: Set<String>
    private let mask: UInt64

    public init(_ names: Set<String>) {
        self.names = names
        var mask: UInt64 = 0
        for name in names { mask |= Self.bit(name) }
        self.mask = mask
    }

    /// `false` only when `name` is certainly not in the set.
    @inline(__always)
    public func mayContain(_ name: String) -> Bool { mask & Self.bit(name) != 0 }

    public func contains(_ name: String) -> Bool { mayContain(name) && names.contains(name) }

    @inline(__always)
    private static func bit(_ name: String) -> UInt64 {
        let utf8 = name.utf8
        let first = Int(utf8.first ?? 0)
        let last = Int(utf8.last ?? 0)
        return 1 << UInt64((utf8.count &* 7 &+ first &* 3 &+ last) & 63)
    }
}
