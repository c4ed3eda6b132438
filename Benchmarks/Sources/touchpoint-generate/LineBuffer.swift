/// A fixed-capacity byte buffer with the few JSON encoders the generator needs, all integer-only.
///
/// It writes through a raw pointer: the encoder appends a few dozen small pieces per line, and an array's
/// per-append uniqueness and capacity checks cost more than the bytes themselves. The owner must flush
/// before `count` gets within one line (`OutputFile` keeps 64 KiB of slack; a line is under 2 KB).
struct LineBuffer: ~Copyable {
    private let base: UnsafeMutablePointer<UInt8>
    /// Bytes the buffer holds at most.
    let capacity: Int
    /// Bytes written since the last `reset()`.
    private(set) var count = 0

    /// Allocates `capacity` bytes.
    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written, valid until the next mutation.
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base, count: count)
    }

    /// Forgets the contents.
    mutating func reset() {
        count = 0
    }

    /// Appends raw bytes.
    @inline(__always)
    mutating func append(_ source: UnsafeRawBufferPointer) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        assert(count + source.count <= capacity)
        UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: source.count)
        count += source.count
    }

    /// Appends a literal, which is already valid JSON text at this position.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a string's UTF-8 bytes (callers pass only strings that need no JSON escaping).
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends pre-encoded bytes.
    @inline(__always)
    mutating func append(_ slice: ArraySlice<UInt8>) {
        slice.withUnsafeBytes { append($0) }
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(byte: UInt8) {
        assert(count < capacity)
        base[count] = byte
        count += 1
    }

    /// Appends a non-negative integer in decimal.
    @inline(__always)
    mutating func appendInt(_ value: Int) {
        appendPadded(value, width: 1)
    }

    /// Appends a non-negative integer in decimal, left-padded with zeros to `width` digits.
    mutating func appendPadded(_ value: Int, width: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        digits = max(digits, width)
        assert(count + digits <= capacity)
        var position = count + digits - 1
        rest = value
        while position >= count {
            base[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
            rest /= 10
            position -= 1
        }
        count += digits
    }

    /// Appends cents as a JSON number with no trailing zeros: 4900 -> `49`, 1990 -> `19.9`, 1791 -> `17.91`.
    mutating func appendCents(_ cents: Int) {
        appendInt(cents / 100)
        let fraction = cents % 100
        if fraction == 0 { return }
        append(byte: UInt8(ascii: "."))
        append(byte: UInt8(truncatingIfNeeded: fraction / 10) &+ 48)
        if fraction % 10 != 0 { append(byte: UInt8(truncatingIfNeeded: fraction % 10) &+ 48) }
    }

    /// Appends `value` as lowercase hex, at least `width` digits.
    mutating func appendHex(_ value: UInt64, width: Int) {
        let significant = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        let digits = max(significant, width)
        assert(count + digits <= capacity)
        var shifted = value
        var position = count + digits - 1
        while position >= count {
            let nibble = UInt8(truncatingIfNeeded: shifted & 0xF)
            base[position] = nibble < 10 ? nibble &+ 48 : nibble &+ 87
            shifted >>= 4
            position -= 1
        }
        count += digits
    }

    /// Appends `"2024-01-01T08:15:02.123Z"` (with the quotes) for epoch milliseconds.
    mutating func appendTimestamp(_ ms: Int64) {
        let day = Int(ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        let inDay = Int(ms - Int64(day) * 86_400_000)
        let (year, month, dayOfMonth) = Calendar.civil(fromDays: day)
        append(byte: UInt8(ascii: "\""))
        appendPadded(year, width: 4)
        append(byte: UInt8(ascii: "-"))
        appendPadded(month, width: 2)
        append(byte: UInt8(ascii: "-"))
        appendPadded(dayOfMonth, width: 2)
        append(byte: UInt8(ascii: "T"))
        appendPadded(inDay / 3_600_000, width: 2)
        append(byte: UInt8(ascii: ":"))
        appendPadded(inDay / 60_000 % 60, width: 2)
        append(byte: UInt8(ascii: ":"))
        appendPadded(inDay / 1000 % 60, width: 2)
        append(byte: UInt8(ascii: "."))
        appendPadded(inDay % 1000, width: 3)
        append(byte: UInt8(ascii: "Z"))
        append(byte: UInt8(ascii: "\""))
    }
}
