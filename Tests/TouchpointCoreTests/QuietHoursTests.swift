import Testing
import TouchpointCore

@Suite("Quiet hours")
struct QuietHoursTests {
    @Test("a range that wraps midnight holds the late evening and the early morning")
    func wrapping() throws {
        let q = try #require(QuietHours(parsing: "21:00-08:00"))
        #expect(q.startMinute == 1260 && q.endMinute == 480)
        #expect(q.contains(minuteOfDay: 21 * 60))
        #expect(q.contains(minuteOfDay: 23 * 60 + 59))
        #expect(q.contains(minuteOfDay: 0))
        #expect(q.contains(minuteOfDay: 7 * 60 + 59))
        #expect(!q.contains(minuteOfDay: 8 * 60))
        #expect(!q.contains(minuteOfDay: 20 * 60 + 59))
        #expect(q.duration == 11 * 60)
        #expect(q.description == "21:00-08:00")
    }

    @Test("a daytime range holds only its own minutes, end excluded")
    func daytime() throws {
        let q = try #require(QuietHours(parsing: "12:30 - 14:00"))
        #expect(q.contains(minuteOfDay: 12 * 60 + 30))
        #expect(!q.contains(minuteOfDay: 14 * 60))
        #expect(!q.contains(minuteOfDay: 12 * 60 + 29))
        #expect(q.duration == 90)
    }

    @Test("24:00 may end a range; one-digit hours are fine")
    func edges() throws {
        let q = try #require(QuietHours(parsing: "9:00-24:00"))
        #expect(q.endMinute == 0)
        #expect(q.contains(minuteOfDay: 1439))
        #expect(!q.contains(minuteOfDay: 0))
        #expect(q.description == "09:00-00:00")
    }

    @Test("parses HH:MM-HH:MM and prints it back")
    func parses() throws {
        let w = try #require(QuietHours(parsing: "21:00-08:30"))
        #expect(w.startMinute == 21 * 60)
        #expect(w.endMinute == 8 * 60 + 30)
        #expect(w.description == "21:00-08:30")
        #expect(QuietHours(parsing: "9:05-10:00")?.description == "09:05-10:00")
    }

    @Test("a same-day window covers only its own span")
    func sameDay() throws {
        let w = try #require(QuietHours(parsing: "12:00-14:00"))
        #expect(w.contains(minuteOfDay: 13 * 60))
        #expect(!w.contains(minuteOfDay: 14 * 60))
        #expect(!w.contains(minuteOfDay: 23 * 60))
        #expect(!w.contains(minuteOfDay: 11 * 60 + 59))
    }

    @Test("malformed or empty ranges are rejected")
    func malformed() {
        for text in [
            "", "21:00", "21-08", "25:00-08:00", "21:60-08:00", "21:00-08:00-09:00", "08:00-08:00",
            "24:00-08:00", "ab:cd-08:00", "21:0-08:00",
            "21:00-21:00", "a:00-08:00",
        ] {
            #expect(QuietHours(parsing: text) == nil, "\(text)")
        }
    }
}
