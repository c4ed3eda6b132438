import Foundation
import Testing

@testable import TouchpointCore

@Suite("Tracking tokens, SHA-1, base64")
struct TrackingTokenTests {
    let key = HMAC.Key(Array("secret-0123456789abcdef".utf8))

    func token(_ kind: TrackingToken.Kind = .click, message: String = "0123456789abcdef0123456789abcdef")
        -> TrackingToken
    {
        TrackingToken(
            kind: kind, channel: .sms, messageId: message, customer: "客户-42", linkIndex: 300,
            issuedAt: Instant(milliseconds: 1_795_000_000_123),
            url: kind == .click ? "https://shop.example/cart/42?a=1&b=中" : nil,
            locale: kind == .unsubscribe ? "zh-CN" : nil)
    }

    @Test("every kind round-trips, the issue time to the second", arguments: TrackingToken.Kind.allCases)
    func roundTrip(_ kind: TrackingToken.Kind) throws {
        let t = token(kind)
        let text = t.encoded(key: key)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let back = try TrackingToken.decode(Substring(text), kind: kind, key: key).get()
        #expect(back == t)
        #expect(back.issuedAt == Instant(seconds: 1_795_000_000))
    }

    @Test("a message id that is not 32 lower-case hex digits is kept as text")
    func otherMessageIds() throws {
        for id in ["m1", "0123456789ABCDEF0123456789ABCDEF", String(repeating: "a", count: 31), ""] {
            let t = token(.open, message: id)
            #expect(
                try TrackingToken.decode(Substring(t.encoded(key: key)), kind: .open, key: key).get()
                    .messageId == id)
        }
    }

    @Test("flipping any bit, another key, truncation, or another kind is refused")
    func refusals() {
        let text = token().encoded(key: key)
        var bytes = Base64.decodeURLSafe(Substring(text).utf8)!
        for i in stride(from: 0, to: bytes.count, by: 3) {
            bytes[i] ^= 0x04
            let altered = Base64.encodeURLSafe(bytes)
            #expect(
                TrackingToken.decode(Substring(altered), kind: .click, key: key) == .failure(.badSignature),
                "byte \(i)")
            bytes[i] ^= 0x04
        }
        #expect(
            TrackingToken.decode(Substring(text), kind: .click, key: HMAC.Key(Array("other".utf8)))
                == .failure(.badSignature))
        #expect(
            TrackingToken.decode(Substring(text.dropLast(2)), kind: .click, key: key) != .success(token()))
        #expect(TrackingToken.decode(Substring(text), kind: .unsubscribe, key: key) == .failure(.wrongKind))
        #expect(TrackingToken.decode("a+b/c=", kind: .click, key: key) == .failure(.malformed))
        #expect(TrackingToken.decode("", kind: .click, key: key) == .failure(.malformed))
    }

    @Test("expiry counts from the issue time")
    func expiry() {
        let t = token()
        #expect(
            !t.isExpired(
                at: Instant(milliseconds: t.issuedAt.milliseconds + 90 * 86_400_000), lifetime: .days(90)))
        #expect(
            t.isExpired(
                at: Instant(milliseconds: t.issuedAt.milliseconds + 90 * 86_400_000 + 1), lifetime: .days(90))
        )
    }

    @Test("SHA-1 matches FIPS 180 examples; HMAC-SHA1 matches RFC 2202")
    func sha1() {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(
            hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(
            hex(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(
            hex(HMAC.sha1(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(
            hex(
                HMAC.sha1(
                    key: [UInt8](repeating: 0xaa, count: 80),
                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "aa4ae5e15272d00e95705637ce8a3b55ed402112")
    }

    @Test("base64 agrees with Foundation's, and the URL-safe form round-trips every length")
    func base64() {
        for n in 0..<70 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
            let safe = Base64.encodeURLSafe(bytes)
            #expect(!safe.contains("=") && !safe.contains("+") && !safe.contains("/"))
            #expect(Base64.decodeURLSafe(Substring(safe).utf8) == bytes)
        }
        #expect(Base64.decodeURLSafe(Substring("A").utf8) == nil)
    }
}
