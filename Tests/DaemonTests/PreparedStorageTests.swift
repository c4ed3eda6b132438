import Channels
import Foundation
import Testing

@testable import Daemon

@Suite("Prepared requests in the outbox")
struct PreparedStorageTests {
    static let full = PreparedRequest(
        kind: "smtp", messageId: "m-1", url: "smtp://127.0.0.1:2525", method: "SMTP",
        headers: [
            .init("Content-Type", "text/plain; charset=utf-8"), .init("X-Empty", ""), .init("X-中文", "雷，您好"),
        ],
        body: Data([0, 1, 2, 255, 13, 10]) + Data("body ✓".utf8), mailFrom: "news@shop.example",
        recipients: ["a@example.com", "b@example.com"], idempotencyKey: "m-1")

    @Test("the stored bytes read back as the same request, with and without optional parts")
    func roundTrip() throws {
        #expect(PreparedRequest.stored(Self.full.storedBytes()) == Self.full)
        let bare = PreparedRequest(
            kind: "webhook", messageId: "", url: "", method: "POST", body: Data(), idempotencyKey: "")
        #expect(PreparedRequest.stored(bare.storedBytes()) == bare)
    }

    @Test("rows written as JSON by an earlier version are still read")
    func readsLegacyJSON() throws {
        let json = try JSONEncoder().encode(Self.full)
        #expect(PreparedRequest.stored(json) == Self.full)
    }

    @Test("truncated, extended or garbled bytes are unreadable instead of a wrong request or a crash")
    func rejectsDamage() {
        let bytes = Self.full.storedBytes()
        #expect(PreparedRequest.stored(Data()) == nil)
        for cut in [1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(PreparedRequest.stored(bytes.prefix(cut)) == nil, "cut at \(cut)")
        }
        #expect(PreparedRequest.stored(bytes + Data([0])) == nil)
        var huge = bytes
        huge.replaceSubrange(1..<5, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(PreparedRequest.stored(huge) == nil)
        #expect(PreparedRequest.stored(Data("not json".utf8)) == nil)
    }
}
