import Testing
import TouchpointCore

@testable import Events

/// `EventDecoder.propertiesRead`: the events it names keep their `properties`; the rest are validated as
/// strictly (the same rejections, at the same columns) and carry none.
@Suite("Event decoder: properties only where read")
struct PropertiesReadTests {
    static let lines = [
        #"{"type":"track","event":"Product Added","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"sku":"a","n":[1,{"x":"é"}]}}"#,
        #"{"properties":{"sku":"b"},"type":"track","event":"Product Added","userId":"u1","timestamp":"2024-01-01T00:00:00Z"}"#,
        #"{"type":"track","event":"Product Added","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":1},"properties":{"b":2}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"sku":"a"}}"#,
        #"{"type":"identify","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":1},"traits":{"email":"a@b.c"}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":01}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":1,}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":"\x"}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":1e400}}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":[1]}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":null}"#,
        #"{"type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-01-01T00:00:00Z","properties":{"a":1} x}"#,
    ]

    @Test("named events decode exactly as without the filter; others lose only their properties")
    func sameEventsAndRejections() throws {
        let all = EventDecoder()
        var some = EventDecoder()
        some.propertiesRead = ["Product Added"]
        for (i, line) in Self.lines.enumerated() {
            let full = all.decode(line: line, file: "f", lineNumber: i + 1)
            let filtered = some.decode(line: line, file: "f", lineNumber: i + 1)
            switch (full, filtered) {
            case (.success(var expected)?, .success(let event)?):
                if expected.kind != .track || expected.name != "Product Added" { expected.properties = [:] }
                #expect(event == expected, "line \(i + 1)")
            case (.failure(let a)?, .failure(let b)?):
                #expect(a.reason == b.reason && a.column == b.column, "line \(i + 1)")
            default:
                Issue.record("line \(i + 1): \(String(describing: full)) vs \(String(describing: filtered))")
            }
        }
    }

    @Test("the name filter never misses a member")
    func filter() {
        let filter = EventNameFilter(WellKnownEvent.nonActivity)
        for name in WellKnownEvent.nonActivity { #expect(filter.contains(name)) }
        #expect(!filter.contains("Product Viewed"))
        #expect(!filter.contains(""))
    }
}
