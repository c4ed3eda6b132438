import Foundation
import Scheduler
import TouchpointCore

// How the stores keep a customer's state: a binary layout, written field by field. The first versions kept
// `JSONEncoder`'s text, and encoding it was half of the daemon's ingest thread (every changed customer is
// written in each commit); this layout took about a fifth of that time in the same profile, and is under 0.7
// of the JSON's size (`StoredStateTests`). State written as JSON by earlier versions is still read (its first
// byte is `{`); the next write stores it in this layout.
extension CustomerState {
    /// First byte of layout 1; a change of layout takes the next tag and keeps reading this one.
    static let storedTag: UInt8 = 0xC1

    /// The bytes the store keeps: the tag, the customer, the ledger, the pending messages, the inactivity
    /// deadlines.
    public func storedBytes() -> Data {
        var w = StoredBytesWriter(capacity: 512)
        w.byte(Self.storedTag)
        customer.write(to: &w)
        ledger.write(to: &w)
        w.count(pending.count)
        for m in pending { m.write(to: &w) }
        w.count(inactivity.count)
        for (rule, at) in inactivity.sorted(by: { $0.key < $1.key }) {
            w.string(rule)
            w.instant(at)
        }
        return Data(w.bytes)
    }

    /// Reads ``storedBytes()``, or the JSON earlier versions stored.
    public static func stored(_ data: Data) throws -> CustomerState {
        guard data.first == storedTag else {
            if data.first == UInt8(ascii: "{") {
                return try JSONDecoder().decode(CustomerState.self, from: data)
            }
            // A later layout (a newer version wrote this store), or not state at all.
            let tag = data.first.map { String($0, radix: 16) } ?? "none"
            throw StoredBytesReader.Unreadable(
                at: 0, what: "layout tag \(tag) is not one this version reads (a newer Touchpoint's?)")
        }
        return try data.withUnsafeBytes { raw in
            var r = StoredBytesReader(raw, at: 1)
            let customer = try Customer(from: &r)
            let ledger = try SendLedger(from: &r)
            var pending: [PendingMessage] = []
            for _ in 0..<(try r.count()) { pending.append(try PendingMessage(from: &r)) }
            var inactivity: [String: Instant] = [:]
            for _ in 0..<(try r.count()) { inactivity[try r.string()] = try r.instant() }
            guard r.atEnd else { throw r.fail("bytes after the end of the state") }
            return CustomerState(customer: customer, ledger: ledger, pending: pending, inactivity: inactivity)
        }
    }
}

extension CustomerState.PendingMessage {
    /// rule, message id, trigger, due, channel, send time, explanation, why, and the fallback's first send.
    func write(to w: inout StoredBytesWriter) {
        w.string(rule)
        w.string(messageId)
        trigger.write(to: &w)
        w.instant(due)
        w.optional(channel) { $1.write(to: &$0) }
        w.optional(sendAt) { $0.instant($1) }
        w.count(explanation.count)
        for line in explanation { w.string(line) }
        w.optional(why) { $0.json($1) }
        w.optional(fallbackOf) { $0.string($1) }
        w.optional(firstChannel) { $1.write(to: &$0) }
        w.optional(firstSentAt) { $0.instant($1) }
    }

    init(from r: inout StoredBytesReader) throws {
        self.init(
            rule: try r.string(), messageId: try r.string(), trigger: try Event(from: &r),
            due: try r.instant(),
            channel: try r.optional { try Channel(from: &$0) }, sendAt: try r.optional { try $0.instant() },
            explanation: try (0..<(try r.count())).map { _ in try r.string() },
            why: try r.optional { try $0.json() })
        fallbackOf = try r.optional { try $0.string() }
        firstChannel = try r.optional { try Channel(from: &$0) }
        firstSentAt = try r.optional { try $0.instant() }
    }
}
