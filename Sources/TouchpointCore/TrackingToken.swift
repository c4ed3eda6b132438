/// The signed token in a tracking link (`/o/{token}`, `/c/{token}`, `/u/{token}`, SPEC §9).
///
/// Self-contained: it carries the message id, the link index, the customer, the channel, the time it
/// was issued and, for a click, the target URL, all under one HMAC-SHA256 tag (truncated to 96 bits). The
/// server needs no lookup to answer a hit, so a link works from any copy of the message (the dry-run's
/// HTML, a daemon restored from a backup), and the redirect target can only be what Touchpoint put there:
/// changing one bit of the token changes the tag, and a token without a valid tag is refused.
///
/// Layout before base64url (no padding): a header byte (version 1 in the high nibble; bit 0 set when the
/// message id is 32 hex digits stored as 16 bytes), the kind, the channel, the issue time in seconds since
/// the epoch (4 bytes, big-endian), the link index (LEB128), then the message id, the customer id and the
/// extra field (the click URL, or the unsubscribe page's locale), each LEB128-length-prefixed UTF-8, and
/// the 12-byte tag over everything before it.
public struct TrackingToken: Sendable, Hashable {
    /// What a link does.
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
        /// The open pixel, `/o/`.
        case open = 0
        /// A click redirect, `/c/`.
        case click = 1
        /// The unsubscribe page and one-click POST, `/u/`.
        case unsubscribe = 2
        /// A provider's delivery report for this message (`/hooks/twilio/status?t=`).
        case callback = 3
    }

    /// Why a token was refused; the server answers 404 for every one, so a forger learns nothing.
    public enum Refusal: Error, Sendable, Hashable {
        /// Not base64url, too short, or fields that do not fit.
        case malformed
        /// A tag that does not match: forged or altered.
        case badSignature
        /// A valid token of another kind (a pixel token posted to `/u/`).
        case wrongKind
    }

    public var kind: Kind
    public var channel: Channel
    /// The stable message id the link is in.
    public var messageId: String
    /// The customer the message went to.
    public var customer: String
    /// Which link of the message: 0 for the pixel and the unsubscribe link, 0… for clicks in order.
    public var linkIndex: Int
    /// When the link was made (the send decision), to second precision.
    public var issuedAt: Instant
    /// The click target; `nil` for the other kinds.
    public var url: String?
    /// The customer's locale for the unsubscribe page; `nil` for the other kinds.
    public var locale: String?

    /// A token.
    public init(
        kind: Kind, channel: Channel, messageId: String, customer: String, linkIndex: Int = 0,
        issuedAt: Instant,
        url: String? = nil, locale: String? = nil
    ) {
        self.kind = kind
        self.channel = channel
        self.messageId = messageId
        self.customer = customer
        self.linkIndex = linkIndex
        self.issuedAt = Instant(seconds: issuedAt.milliseconds / 1000)
        self.url = url
        self.locale = locale
    }

    static let tagLength = 12
    private static let domain = Array("touchpoint/token/v1".utf8)

    /// The token text, signed with `key`.
    public func encoded(key: HMAC.Key) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64 + messageId.utf8.count + customer.utf8.count + (url?.utf8.count ?? 0))
        let packed = Self.packHex(messageId)
        out.append(0x10 | (packed == nil ? 0 : 1))
        out.append(kind.rawValue)
        out.append(UInt8(Channel.allCases.firstIndex(of: channel)!))
        let seconds = UInt32(clamping: max(0, issuedAt.milliseconds / 1000))
        for shift in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: seconds >> UInt32(shift))) }
        Self.appendVarint(UInt64(max(0, linkIndex)), to: &out)
        if let packed {
            out += packed
        } else {
            Self.appendString(messageId, to: &out)
        }
        Self.appendString(customer, to: &out)
        Self.appendString((kind == .click ? url : kind == .unsubscribe ? locale : nil) ?? "", to: &out)
        out += key.mac(Self.domain, out).prefix(Self.tagLength)
        return Base64.encodeURLSafe(out)
    }

    /// Reads and verifies a token of `kind`.
    public static func decode(_ text: Substring, kind expected: Kind, key: HMAC.Key) -> Result<
        TrackingToken, Refusal
    > {
        guard text.utf8.count <= 8192, let bytes = Base64.decodeURLSafe(text.utf8),
            bytes.count > 8 + tagLength
        else { return .failure(.malformed) }
        let body = Array(bytes.dropLast(tagLength))
        let tag = Array(bytes.suffix(tagLength))
        guard HMAC.equal(Array(key.mac(domain, body).prefix(tagLength)), tag) else {
            return .failure(.badSignature)
        }
        var reader = Reader(bytes: body)
        guard let header = reader.byte(), header >> 4 == 1, let kindByte = reader.byte(),
            let kind = Kind(rawValue: kindByte),
            let channelByte = reader.byte(), Int(channelByte) < Channel.allCases.count
        else { return .failure(.malformed) }
        var seconds: UInt32 = 0
        for _ in 0..<4 {
            guard let b = reader.byte() else { return .failure(.malformed) }
            seconds = seconds << 8 | UInt32(b)
        }
        guard let index = reader.varint(), index <= UInt64(Int32.max) else { return .failure(.malformed) }
        let messageId: String
        if header & 1 == 1 {
            guard let raw = reader.bytes(16) else { return .failure(.malformed) }
            messageId = hex(raw)
        } else {
            guard let s = reader.string() else { return .failure(.malformed) }
            messageId = s
        }
        guard let customer = reader.string(), let extra = reader.string(), reader.atEnd else {
            return .failure(.malformed)
        }
        guard kind == expected else { return .failure(.wrongKind) }
        return .success(
            TrackingToken(
                kind: kind, channel: Channel.allCases[Int(channelByte)], messageId: messageId,
                customer: customer,
                linkIndex: Int(index), issuedAt: Instant(seconds: Int64(seconds)),
                url: kind == .click ? extra : nil,
                locale: kind == .unsubscribe && !extra.isEmpty ? extra : nil))
    }

    /// Whether the link is older than `lifetime` at `now`.
    public func isExpired(at now: Instant, lifetime: TimeSpan) -> Bool {
        now.milliseconds - issuedAt.milliseconds > lifetime.milliseconds
    }

    // MARK: - Encoding helpers

    private static func packHex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count == 32 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        var i = 0
        while i < 32 {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil  // upper case would not round-trip
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        appendVarint(UInt64(s.utf8.count), to: &out)
        out += s.utf8
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func byte() -> UInt8? {
            guard index < bytes.count else { return nil }
            index += 1
            return bytes[index - 1]
        }

        mutating func bytes(_ n: Int) -> [UInt8]? {
            guard n >= 0, index + n <= bytes.count else { return nil }
            index += n
            return Array(bytes[(index - n)..<index])
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let b = byte() {
                value |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
                if shift > 35 { return nil }
            }
            return nil
        }

        mutating func string() -> String? {
            guard let n = varint(), let raw = bytes(Int(n)) else { return nil }
            return String(validating: raw, as: UTF8.self)
        }
    }
}
