import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("HMAC-SHA256")
struct HMACTests {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    @Test("matches RFC 4231 test case 2 (short key)")
    func rfc4231Case2() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("matches RFC 4231 test case 6 (key longer than a block is hashed first)")
    func rfc4231Case6() {
        let mac = HMAC.sha256(
            key: [UInt8](repeating: 0xaa, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(hex(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("the Standard Webhooks signature matches the spec's published example")
    func standardWebhooksExample() throws {
        // From the Standard Webhooks spec test vectors.
        let key = try #require(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let sig = WebhookAdapter.signature(
            key: Array(key), id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
            body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(sig == "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }
}

@Suite("incremental SHA-256")
struct SHA256StreamTests {
    /// Lengths around every padding edge: 55/56/63/64 bytes and multi-block inputs.
    static let lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 1000]

    @Test("agrees with Core's SHA-256 for every length around the block edges", arguments: lengths)
    func agreesWithCore(_ n: Int) {
        let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var one = SHA256Stream()
        one.update(data)
        #expect(one.finish() == SHA256.hash(data))
    }

    @Test("fed in uneven pieces it gives the same digest as in one piece", arguments: lengths)
    func pieces(_ n: Int) {
        let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
        var s = SHA256Stream()
        var i = 0
        var step = 1
        while i < n {
            let end = min(n, i + step)
            s.update(Array(data[i..<end]))
            i = end
            step = step * 3 % 70 + 1
        }
        #expect(s.finish() == SHA256.hash(data))
    }

    @Test("HMAC with a precomputed key equals the textbook construction over Core's SHA-256")
    func hmacMatchesTextbook() {
        for keyLength in [0, 1, 32, 64, 65, 131] {
            let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &+ 1) }
            let message = Array("msg_1.1614265330.{\"a\":1}".utf8) + [UInt8](repeating: 0x41, count: keyLength * 3)
            var k = key.count > 64 ? SHA256.hash(key) : key
            k += [UInt8](repeating: 0, count: 64 - k.count)
            let textbook = SHA256.hash(k.map { $0 ^ 0x5c } + SHA256.hash(k.map { $0 ^ 0x36 } + message))
            #expect(HMAC.sha256(key: key, message: message) == textbook, "key length \(keyLength)")
            #expect(HMAC.Key(key).mac(Array(message.prefix(10)), Array(message.dropFirst(10))) == textbook)
        }
    }
}
