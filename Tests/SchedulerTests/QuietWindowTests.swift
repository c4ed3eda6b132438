import Testing

@testable import Scheduler

@Suite("Quiet windows")
struct QuietWindowTests {
    @Test("parses HH:MM-HH:MM and prints it back")
    func parses() throws {
        let w = try #require(QuietWindow(parsing: "21:00-08:30"))
        #expect(w.start == 21 * 60)
        #expect(w.end == 8 * 60 + 30)
        #expect(w.description == "21:00-08:30")
        #expect(QuietWindow(parsing: "9:05-10:00")?.description == "09:05-10:00")
    }

    @Test(
        "rejects malformed, out-of-range and empty windows",
        arguments: [
            "", "21:00", "21-08", "24:00-08:00", "21:60-08:00", "21:00-21:00", "a:00-08:00",
            "21:00-08:00-09:00",
        ])
    func rejects(_ text: String) {
        #expect(QuietWindow(parsing: text) == nil)
    }

    @Test("a window across midnight covers late evening and early morning, start inclusive, end exclusive")
    func wraps() throws {
        let w = try #require(QuietWindow(parsing: "21:00-08:00"))
        #expect(w.contains(minuteOfDay: 21 * 60))
        #expect(w.contains(minuteOfDay: 23 * 60 + 59))
        #expect(w.contains(minuteOfDay: 0))
        #expect(w.contains(minuteOfDay: 7 * 60 + 59))
        #expect(!w.contains(minuteOfDay: 8 * 60))
        #expect(!w.contains(minuteOfDay: 20 * 60 + 59))
    }

    @Test("a same-day window covers only its own span")
    func sameDay() throws {
        let w = try #require(QuietWindow(parsing: "12:00-14:00"))
        #expect(w.contains(minuteOfDay: 13 * 60))
        #expect(!w.contains(minuteOfDay: 14 * 60))
        #expect(!w.contains(minuteOfDay: 23 * 60))
        #expect(!w.contains(minuteOfDay: 11 * 60 + 59))
    }
}
