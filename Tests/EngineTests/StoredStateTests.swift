import Foundation
import Scheduler
import Testing
import TouchpointCore

@testable import Engine

/// The binary layout the stores keep customer state in (`CustomerState+StoredBytes.swift`): it reads back
/// exactly what was written, reads the JSON earlier versions wrote, and refuses damaged bytes with an error.
@Suite("Stored customer state: the binary layout")
struct StoredStateTests {
    /// A random JSON value with every kind of member, nested up to `depth`.
    static func value(_ g: inout SplitMix, depth: Int) -> JSONValue {
        let strings = ["", "a", "价格 💳", "line\nbreak \"quoted\" \\ tab\t", "nul\u{0}inside", "é"]
        switch g.next() % (depth > 0 ? 7 : 5) {
        case 0: return .null
        case 1: return .bool(g.next() % 2 == 0)
        case 2:
            let pick = [0.0, -0.0, 1.5, -7, 1e300, 239.2, Double(Int64.max), Double.leastNonzeroMagnitude]
            return .number(pick[Int(g.next() % UInt64(pick.count))])
        case 3, 4: return .string(strings[Int(g.next() % UInt64(strings.count))])
        case 5: return .array((0..<Int(g.next() % 4)).map { _ in value(&g, depth: depth - 1) })
        default: return .object(object(&g, depth: depth - 1))
        }
    }

    static func object(_ g: inout SplitMix, depth: Int) -> [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        for i in 0..<Int(g.next() % 5) { o["k\(i)\(i % 2 == 0 ? "键" : "")"] = value(&g, depth: depth) }
        return o
    }

    static func event(_ g: inout SplitMix, user: String, at: Int64) -> Event {
        let kinds: [Event.Kind] = [.track, .identify, .other("page")]
        let kind = kinds[Int(g.next() % 3)]
        return Event(
            kind: kind, name: kind == .track ? "Product Added" : nil, userId: user,
            messageId: g.next() % 4 == 0 ? nil : "m-\(g.next() % 1000)",
            timestamp: Timestamp(
                instant: Instant(milliseconds: at), offsetSeconds: [0, 28800, -16200][Int(g.next() % 3)]),
            properties: object(&g, depth: 3), traits: g.next() % 2 == 0 ? [:] : object(&g, depth: 1),
            source: g.next() % 3 == 0
                ? nil : SourceLocation(file: "events/a.jsonl", line: Int(g.next() % 99_999), column: 0))
    }

    /// A random customer state using every field the layout writes.
    static func state(seed: UInt64) -> CustomerState {
        var g = SplitMix(state: seed)
        let id = seed % 5 == 0 ? "客户-\(seed)" : "u\(seed)"
        var customer = Customer(id: id, traits: object(&g, depth: 3))
        customer.traits["email"] = .string("\(id)@example.test")
        customer.traits["timezone"] = .string("Asia/Shanghai")
        let base: Int64 = 1_796_500_000_000 + Int64(g.next() % 1_000_000)
        let zone = Zone("Asia/Shanghai")!
        for i in 0..<Int(g.next() % 12) {
            let t = Instant(milliseconds: base + Int64(i) * 3_600_000)
            let channel = Channel.allCases[Int(g.next() % 3)]
            customer.engagement.recordSend(channel, at: t, zone: zone)
            if g.next() % 2 == 0 {
                customer.engagement.recordOpen(channel, at: t + TimeSpan(seconds: 600), zone: zone)
            }
            customer.engagement.recordActivity(at: t, zone: zone)
        }
        if g.next() % 2 == 0 { customer.optedOut = [.sms, .email] }
        customer.optedOutAll = g.next() % 4 == 0
        customer.lastActivity = g.next() % 3 == 0 ? nil : Instant(milliseconds: base)
        if g.next() % 2 == 0 {
            customer.blockedAddresses = [
                .email: ["old@example.test", "x@example.test"], .sms: ["+15550100"],
            ]
            customer.softBounces = [.chat: .init(address: "chat-1", count: 2)]
        }
        var ledger = SendLedger()
        for i in 0..<Int(g.next() % 40) {
            ledger.record(
                messageId: "\(seed)-\(i)", rule: ["cart", "win-back", "价格"][i % 3],
                channel: Channel.allCases[i % 3],
                at: Instant(milliseconds: base - Int64(i) * 60_000), transactional: i % 2 == 0)
        }
        var pending: [CustomerState.PendingMessage] = []
        for i in 0..<Int(g.next() % 4) {
            var m = CustomerState.PendingMessage(
                rule: "rule-\(i)", messageId: "p\(seed)-\(i)",
                trigger: event(&g, user: id, at: base + Int64(i)),
                due: Instant(milliseconds: base + 3_600_000), channel: nil, sendAt: nil, explanation: [],
                why: nil)
            if i % 2 == 1 {
                m.channel = .sms
                m.sendAt = Instant(milliseconds: base + 7_200_000)
                m.explanation = ["email: p=0.12 at 19:00", "sms: p=0.31 at 19:00 — chosen"]
                m.why = .object(Self.object(&g, depth: 2))  // a top-level null reads back from JSON as none
            }
            if i == 2 {
                m.fallbackOf = "first-\(seed)"
                m.firstChannel = .email
                m.firstSentAt = Instant(milliseconds: base - 1)
            }
            pending.append(m)
        }
        let inactivity: [String: Instant] =
            g.next() % 2 == 0
            ? [:]
            : [
                "win-back": Instant(milliseconds: base + 86_400_000 * 30),
                "lapsed": Instant(milliseconds: -5),
            ]
        return CustomerState(customer: customer, ledger: ledger, pending: pending, inactivity: inactivity)
    }

    /// Two states hold the same values (`PendingMessage` is not `Equatable`: compared through sorted JSON).
    static func same(_ a: CustomerState, _ b: CustomerState) throws -> Bool {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        let pendingA = try e.encode(a.pending)
        let pendingB = try e.encode(b.pending)
        return a.customer == b.customer && a.ledger == b.ledger && a.inactivity == b.inactivity
            && a.pending.map(\.trigger) == b.pending.map(\.trigger) && pendingA == pendingB
    }

    @Test("every field reads back as written", arguments: 0..<200)
    func roundTrip(seed: Int) throws {
        let s = Self.state(seed: UInt64(seed))
        let bytes = s.storedBytes()
        #expect(bytes.first == 0xC1)
        #expect(try Self.same(try CustomerState.stored(bytes), s))
        // Written again from what was read: the same bytes (sets and maps of the layout are written sorted,
        // except JSON maps, which keep the dictionary's order; compare values for those).
        #expect(try Self.same(try CustomerState.stored(try CustomerState.stored(bytes).storedBytes()), s))
    }

    @Test("state an earlier version wrote as JSON reads the same, and is smaller in the binary layout")
    func readsJSON() throws {
        var jsonTotal = 0
        var binaryTotal = 0
        for seed in 0..<50 {
            let s = Self.state(seed: UInt64(seed))
            let json = try JSONEncoder().encode(s)
            #expect(json.first == UInt8(ascii: "{"))
            #expect(try Self.same(try CustomerState.stored(json), s))
            jsonTotal += json.count
            binaryTotal += s.storedBytes().count
        }
        #expect(binaryTotal * 10 < jsonTotal * 7, "binary \(binaryTotal) B against JSON \(jsonTotal) B")
    }

    @Test("damaged bytes are an error, never a crash: every truncation and a byte past the end")
    func damaged() throws {
        for seed in 0..<20 {
            let bytes = Self.state(seed: UInt64(seed)).storedBytes()
            for n in 1..<bytes.count {
                #expect(throws: (any Error).self) { try CustomerState.stored(bytes.prefix(n)) }
            }
            #expect(throws: (any Error).self) { try CustomerState.stored(bytes + [0]) }
            // A flipped byte may still read (a changed letter) or fail; it must not trap.
            var g = SplitMix(state: UInt64(seed))
            for _ in 0..<50 {
                var broken = bytes
                let i = 1 + Int(g.next() % UInt64(bytes.count - 1))
                broken[i] ^= UInt8(truncatingIfNeeded: g.next() | 1)
                _ = try? CustomerState.stored(broken)
            }
        }
    }

    @Test("a layout this version does not know is refused by name, and the error says whose state it is")
    func unknownLayout() throws {
        var bytes = Self.state(seed: 7).storedBytes()
        bytes[0] = 0xC2
        #expect {
            try CustomerState.stored(bytes)
        } throws: { error in
            "\(error)".contains("layout tag c2 is not one this version reads")
        }
        #expect {
            try Engine.decode(customers: ["u7": bytes], globals: nil)
        } throws: { error in
            "\(error)".hasPrefix("the stored state of customer 'u7' cannot be read: ")
        }
    }

    @Test("properties nested as deep as the event decoder accepts (128 levels) read back")
    func deepNesting() throws {
        var deep = JSONValue.string("bottom")
        for i in 0..<130 { deep = i % 2 == 0 ? .array([deep]) : .object(["k": deep]) }
        let seed = try #require((0..<50).first { !Self.state(seed: UInt64($0)).pending.isEmpty })
        var s = Self.state(seed: UInt64(seed))
        s.customer.traits["deep"] = deep
        s.pending[0].trigger.properties["deep"] = deep
        s.pending[0].why = .object(["deep": deep])
        #expect(try Self.same(try CustomerState.stored(s.storedBytes()), s))
    }
}
