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

@Suite("HMAC with a long key")
struct HMACLongKeyTests {
    @Test("a 100-byte key and a message in parts sign as Python's hmac does")
    func longKeyParts() {
        let key = [UInt8](repeating: UInt8(ascii: "k"), count: 100)
        let mac = HMAC.Key(key).mac(Array("msg-1.".utf8), Array("1700000000.{}".utf8))
        #expect(
            mac.map { String(format: "%02x", $0) }.joined()
                == "cbc553fa2a22026a7ef0181b26fcf53a1695ba5afdabf8f3310bd9cd3ed98961")
        #expect(mac == HMAC.sha256(key: key, message: Array("msg-1.1700000000.{}".utf8)))
    }
}
