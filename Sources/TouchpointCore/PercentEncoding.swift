/// RFC 3986 percent-encoding of everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`: the
/// one encoder, for values in links (`unsubscribe-url`) and in form bodies (Twilio).
public enum PercentEncoding {
    /// Appends `s`, encoded, to `out`.
    public static func append(_ s: String, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789ABCDEF"
        hex.withUTF8Buffer { digits in
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                    UInt8(ascii: "_"),
                    UInt8(ascii: "~"):
                    out.append(b)
                default:
                    out.append(UInt8(ascii: "%"))
                    out.append(digits[Int(b >> 4)])
                    out.append(digits[Int(b & 0x0F)])
                }
            }
        }
    }

    /// `s`, encoded.
    public static func encode(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        append(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
