/// How an SMS text travels: its encoding, its length in that encoding's units, and how many
/// segments (billable parts) a carrier splits it into.
public struct SMSInfo: Sendable, Hashable, Codable {
    /// The alphabet an SMS is sent in.
    public enum Encoding: String, Sendable, Hashable, Codable {
        /// The GSM 03.38 7-bit default alphabet (plus its extension table).
        case gsm7 = "GSM-7"
        /// UCS-2 (UTF-16 code units), used as soon as one character is outside GSM-7.
        case ucs2 = "UCS-2"
    }

    /// The alphabet the text needs.
    public var encoding: Encoding
    /// Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2.
    public var units: Int
    /// Message parts: 0 for empty text, 1 up to 160 septets / 70 code units, then parts of
    /// 153 septets / 67 code units that never split an escape pair or a surrogate pair.
    public var segments: Int

    /// Creates an info value; `measure(_:)` is the usual way to get one.
    public init(encoding: Encoding, units: Int, segments: Int) {
        self.encoding = encoding
        self.units = units
        self.segments = segments
    }

    /// Septets in one unsplit GSM-7 message.
    public static let gsm7SingleLimit = 160
    /// Septets per part of a concatenated GSM-7 message (7 go to the UDH).
    public static let gsm7PartLimit = 153
    /// Code units in one unsplit UCS-2 message.
    public static let ucs2SingleLimit = 70
    /// Code units per part of a concatenated UCS-2 message.
    public static let ucs2PartLimit = 67

    /// Measures `text` as carriers do.
    public static func measure(_ text: String) -> SMSInfo {
        var gsmUnits = 0
        var isGSM = true
        for scalar in text.unicodeScalars {
            if gsmBasic.contains(scalar) {
                gsmUnits += 1
            } else if gsmExtension.contains(scalar) {
                gsmUnits += 2
            } else {
                isGSM = false
                break
            }
        }
        if isGSM {
            let segments = segmentCount(
                total: gsmUnits, single: gsm7SingleLimit, part: gsm7PartLimit,
                widths: text.unicodeScalars.lazy.map { gsmExtension.contains($0) ? 2 : 1 })
            return SMSInfo(encoding: .gsm7, units: gsmUnits, segments: segments)
        }
        let widths = text.unicodeScalars.lazy.map { $0.value > 0xFFFF ? 2 : 1 }
        let units = widths.reduce(0, +)
        let segments = segmentCount(
            total: units, single: ucs2SingleLimit, part: ucs2PartLimit, widths: widths)
        return SMSInfo(encoding: .ucs2, units: units, segments: segments)
    }

    /// Greedy packing: a character of width 2 that does not fit in the current part starts the next one.
    private static func segmentCount(
        total: Int, single: Int, part: Int, widths: some Sequence<Int>
    ) -> Int {
        if total == 0 { return 0 }
        if total <= single { return 1 }
        var segments = 1
        var used = 0
        for width in widths {
            if used + width > part {
                segments += 1
                used = 0
            }
            used += width
        }
        return segments
    }

    /// GSM 03.38 default alphabet, one septet each.
    static let gsmBasic: Set<Unicode.Scalar> = {
        var set = Set<Unicode.Scalar>()
        let table =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        for scalar in table.unicodeScalars { set.insert(scalar) }
        return set
    }()

    /// GSM 03.38 extension table, sent as ESC + character: two septets each.
    static let gsmExtension: Set<Unicode.Scalar> = {
        var set = Set<Unicode.Scalar>()
        for scalar in "^{}\\[~]|€\u{0C}".unicodeScalars { set.insert(scalar) }
        return set
    }()
}
