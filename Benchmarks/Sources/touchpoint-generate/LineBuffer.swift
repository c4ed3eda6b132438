/// A growable byte buffer with the few JSON encoders the generator needs, all integer-only.
struct LineBuffer {
    /// The encoded bytes.
    var bytes: [UInt8] = []

    /// Reserves room for `capacity` bytes.
    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends a literal, which is already valid JSON text at this position.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes (callers pass only strings that need no JSON escaping).
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends pre-encoded bytes.
    @inline(__always)
    mutating func append(_ slice: ArraySlice<UInt8>) {
        bytes.append(contentsOf: slice)
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends a non-negative integer in decimal.
    mutating func appendInt(_ value: Int) {
        appendPadded(value, width: 1)
    }

    /// Appends a non-negative integer in decimal, left-padded with zeros to `width` digits.
    mutating func appendPadded(_ value: Int, width: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
                rest /= 10
                count += 1
            } while rest > 0
            while count < width && count < 20 {
                raw[count] = 48
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(raw[index])
            }
        }
    }

    /// Appends cents as a JSON number with no trailing zeros: 4900 -> `49`, 1990 -> `19.9`, 1791 -> `17.91`.
    mutating func appendCents(_ cents: Int) {
        appendInt(cents / 100)
        let fraction = cents % 100
        if fraction == 0 { return }
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(truncatingIfNeeded: fraction / 10) &+ 48)
        if fraction % 10 != 0 { bytes.append(UInt8(truncatingIfNeeded: fraction % 10) &+ 48) }
    }

    /// Appends `value` as lowercase hex, at least `width` digits.
    mutating func appendHex(_ value: UInt64, width: Int) {
        var digits = 1
        while digits < 16 && (value >> (4 * UInt64(digits))) != 0 { digits += 1 }
        digits = max(digits, width)
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: (value >> (4 * UInt64(index))) & 0xF)
            bytes.append(nibble < 10 ? nibble &+ 48 : nibble &+ 87)
        }
    }

    /// Appends `"2024-01-01T08:15:02.123Z"` (with the quotes) for epoch milliseconds.
    mutating func appendTimestamp(_ ms: Int64) {
        let day = Int(ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        let inDay = Int(ms - Int64(day) * 86_400_000)
        let (year, month, dayOfMonth) = Calendar.civil(fromDays: day)
        bytes.append(UInt8(ascii: "\""))
        appendPadded(year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(dayOfMonth, width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(inDay / 3_600_000, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(inDay / 60_000 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(inDay / 1000 % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        appendPadded(inDay % 1000, width: 3)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
    }
}
