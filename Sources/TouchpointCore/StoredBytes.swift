import Foundation

/// Appends the store's binary layouts: unsigned LEB128 varints, zigzag varints for signed values, strings
/// and byte runs prefixed with their varint length, doubles as their 8 little-endian bytes, and the fixed
/// 4-byte little-endian lengths of the outbox's prepared requests.
///
/// The daemon writes every changed customer's state in each commit; this layout replaced `JSONEncoder`
/// there, which was half of the ingest thread's time (see ``StoredBytesReader`` for reading it back).
public struct StoredBytesWriter: Sendable {
    /// What has been written.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A count or length.
    public mutating func count(_ n: Int) { varint(UInt64(n)) }

    /// A signed value, zigzag-coded so that small negative numbers stay short.
    public mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func instant(_ i: Instant) { signed(i.milliseconds) }

    public mutating func double(_ d: Double) {
        let v = d.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
    }

    /// A string's UTF-8 bytes after their varint length.
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            count(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A byte run after its varint length.
    public mutating func run(_ b: [UInt8]) {
        count(b.count)
        bytes.append(contentsOf: b)
    }

    /// A presence byte, then the value when there is one.
    public mutating func optional<T>(_ value: T?, _ write: (inout StoredBytesWriter, T) -> Void) {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        write(&self, value)
    }

    /// A 4-byte little-endian length or count (the outbox's prepared-request layout).
    public mutating func fixed32(_ n: Int) {
        let v = UInt32(n)
        bytes.append(contentsOf: [
            UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24),
        ])
    }

    /// A string after its 4-byte length (the outbox's prepared-request layout).
    public mutating func fixed32String(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            fixed32(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Bytes as they are.
    public mutating func raw<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    /// A JSON value: a tag byte (0 null, 1 false, 2 true, 3 number, 4 string, 5 list, 6 map), then the
    /// double, the string, or the count and the elements (a map's as key, value).
    public mutating func json(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(0)
        case .bool(let b): bytes.append(b ? 2 : 1)
        case .number(let n):
            bytes.append(3)
            double(n)
        case .string(let s):
            bytes.append(4)
            string(s)
        case .array(let a):
            bytes.append(5)
            count(a.count)
            for e in a { json(e) }
        case .object(let o):
            bytes.append(6)
            object(o)
        }
    }

    /// A map's members without the tag: the count, then key and value per member.
    public mutating func object(_ o: [String: JSONValue]) {
        count(o.count)
        for (k, v) in o {
            string(k)
            json(v)
        }
    }
}

/// A bounds-checked cursor over bytes written by ``StoredBytesWriter``: every read throws past the end or
/// on a value that does not fit, so a corrupt blob is an error, never a crash or a huge allocation.
public struct StoredBytesReader {
    /// Why bytes could not be read.
    public struct Unreadable: Error, CustomStringConvertible {
        public let at: Int
        public let what: String
        public var description: String { "unreadable stored state at byte \(at): \(what)" }

        public init(at: Int, what: String) {
            self.at = at
            self.what = what
        }
    }

    let buffer: UnsafeRawBufferPointer
    /// The next byte's offset.
    public private(set) var at: Int

    public init(_ buffer: UnsafeRawBufferPointer, at: Int = 0) {
        self.buffer = buffer
        self.at = at
    }

    /// Whether every byte has been read.
    public var atEnd: Bool { at == buffer.count }

    public func fail(_ what: String) -> Unreadable { Unreadable(at: at, what: what) }

    public mutating func byte() throws -> UInt8 {
        guard at < buffer.count else { throw fail("past the end") }
        defer { at += 1 }
        return buffer[at]
    }

    public mutating func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw fail("not a flag")
        }
    }

    public mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw fail("varint too long") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A count or length; at most the bytes left (every element takes one at least), so a corrupt count
    /// cannot ask for a huge allocation.
    public mutating func count() throws -> Int {
        let n = try varint()
        guard n <= UInt64(buffer.count - at) else { throw fail("count \(n) past the end") }
        return Int(n)
    }

    public mutating func signed() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// A signed value that must fit an `Int`.
    public mutating func int() throws -> Int {
        let v = try signed()
        guard let n = Int(exactly: v) else { throw fail("number out of range") }
        return n
    }

    public mutating func instant() throws -> Instant { Instant(milliseconds: try signed()) }

    public mutating func double() throws -> Double {
        guard buffer.count - at >= 8 else { throw fail("past the end") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(buffer[at + i]) << UInt64(8 * i) }
        at += 8
        return Double(bitPattern: v)
    }

    /// The next `n` bytes.
    public mutating func slice(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= buffer.count - at else { throw fail("past the end") }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: buffer[at..<at + n])
    }

    public mutating func string() throws -> String {
        String(decoding: try slice(try count()), as: UTF8.self)
    }

    public mutating func run() throws -> [UInt8] { [UInt8](try slice(try count())) }

    /// A value after its presence byte; `nil` when absent.
    public mutating func optional<T>(_ read: (inout StoredBytesReader) throws -> T) throws -> T? {
        try bool() ? try read(&self) : nil
    }

    /// A 4-byte little-endian count, at most the bytes left.
    public mutating func fixed32() throws -> Int {
        guard buffer.count - at >= 4 else { throw fail("past the end") }
        let n =
            Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
        at += 4
        guard n <= buffer.count - at else { throw fail("count \(n) past the end") }
        return n
    }

    public mutating func fixed32String() throws -> String {
        String(decoding: try slice(try fixed32()), as: UTF8.self)
    }

    /// The deepest nesting read back: far above what the event decoder accepts (128 levels), so whatever it
    /// let in and the engine kept reads back after a restart; a bound all the same, so damaged bytes cannot
    /// recurse without end.
    public static let maximumDepth = 1024

    /// A value written by ``StoredBytesWriter/json(_:)``; lists and maps nest at most `depth` deep.
    public mutating func json(depth: Int = maximumDepth) throws -> JSONValue {
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .number(try double())
        case 4: return .string(try string())
        case 5:
            guard depth > 0 else { throw fail("nested too deep") }
            let n = try count()
            var a: [JSONValue] = []
            a.reserveCapacity(n)
            for _ in 0..<n { a.append(try json(depth: depth - 1)) }
            return .array(a)
        case 6:
            guard depth > 0 else { throw fail("nested too deep") }
            return .object(try object(depth: depth - 1))
        default:
            at -= 1
            throw fail("not a JSON value tag")
        }
    }

    /// A map written by ``StoredBytesWriter/object(_:)``.
    public mutating func object(depth: Int = maximumDepth) throws -> [String: JSONValue] {
        let n = try count()
        var o: [String: JSONValue] = [:]
        o.reserveCapacity(n)
        for _ in 0..<n {
            let k = try string()
            o[k] = try json(depth: depth)
        }
        return o
    }
}
