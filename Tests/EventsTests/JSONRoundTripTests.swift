import Testing
import TouchpointCore

@testable import Events

/// Random JSON values, from a seed so a failure can be replayed.
private struct RandomJSON {
    var rng: SeededGenerator

    mutating func value(depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(number())
        case 3: return .string(string())
        case 4:
            return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<6, using: &rng) { members[string()] = value(depth: depth + 1) }
            return .object(members)
        }
    }

    mutating func number() -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        case 1: return Double.random(in: -1000...1000, using: &rng)
        case 2: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)  // any finite magnitude
        default: return Double(Int64.random(in: -(1 << 62)...(1 << 62), using: &rng))
        }
    }

    mutating func string() -> String {
        let pools: [ClosedRange<UInt32>] = [
            0x00...0x1F, 0x20...0x7E, 0x80...0x7FF, 0x2028...0x2029, 0x4E00...0x9FFF, 0x1F600...0x1F64F,
        ]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<24, using: &rng) {
            let pool = pools[Int.random(in: 0..<pools.count, using: &rng)]
            s.append(Unicode.Scalar(UInt32.random(in: pool, using: &rng))!)
        }
        return String(s)
    }
}

@Suite("JSON round trip")
struct JSONRoundTripTests {
    @Test("parses back exactly what JSONValue writes, for random values", arguments: 0..<20)
    func roundTrip(seed: UInt64) throws {
        var random = RandomJSON(rng: SeededGenerator(seed: seed))
        for _ in 0..<50 {
            let value = random.value(depth: 0)
            let text = value.jsonText
            let parsed = Result { () throws(JSONError) -> JSONValue in try JSON.parse(text) }
            #expect(try parsed.get() == value, "seed \(seed): \(text)")
        }
    }
}
