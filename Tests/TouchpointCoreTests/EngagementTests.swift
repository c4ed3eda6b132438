import Foundation
import Testing

@testable import TouchpointCore

@Suite("Compact engagement state")
struct EngagementTests {
    let t0 = Instant(seconds: 1_763_625_600)  // 2025-11-20T08:00:00Z, a Thursday
    let utc = Zone.utc
    let policy = EngagementPolicy(halfLife: .days(30), attributionWindow: .days(3), defaultZone: .utc)

    func hours(_ h: Int64) -> Instant { t0 + .hours(h) }

    @Test("nothing recorded holds no bytes; activity 59; each channel with data adds 107")
    func sizes() {
        var e = Engagement()
        #expect(e.bytes.isEmpty)
        e.recordActivity(at: t0, zone: utc, policy: policy)
        #expect(e.bytes.count == 59)
        e.recordSend(.email, at: t0, zone: utc, policy: policy)
        #expect(e.bytes.count == 166)
        e.recordOpen(.chat, at: t0, zone: utc, policy: policy)
        #expect(e.bytes.count == 273)
        e.recordSend(.sms, at: t0, zone: utc, policy: policy)
        #expect(e.bytes.count == 380)
        #expect(e.channels == [.email, .sms, .chat])
        // Growing by a channel keeps the buffer close to its size: memory is the size plus a little.
        #expect(e.bytes.capacity < 380 + 32)
        #expect(MemoryLayout<Engagement>.size == 8)
    }

    @Test("an update is O(1): a year of daily events leaves the size unchanged")
    func constantSize() {
        var e = Engagement()
        e.recordSend(.email, at: t0, zone: utc, policy: policy)
        e.recordActivity(at: t0, zone: utc, policy: policy)
        let size = e.bytes.count
        for d in 1...365 {
            let t = t0 + .days(Int64(d))
            e.recordSend(.email, at: t, zone: utc, policy: policy)
            e.recordOpen(.email, at: t + .minutes(5), zone: utc, policy: policy)
            e.recordActivity(at: t + .hours(2), zone: utc, policy: policy)
        }
        #expect(e.bytes.count == size)
        #expect(e.counts(.email) == (sends: 366, responses: 365))
    }

    @Test("weights halve every half-life, whenever they are read")
    func decay() {
        var e = Engagement()
        e.recordActivity(at: t0, zone: utc, policy: policy)
        let at0 = e.activityHours(at: t0).reduce(0, +)
        let at30 = e.activityHours(at: t0 + .days(30)).reduce(0, +)
        let at90 = e.activityHours(at: t0 + .days(90)).reduce(0, +)
        #expect(abs(at0 - 1) < 1e-12)
        #expect(abs(at30 - 0.5) < 1e-12)
        #expect(abs(at90 - 0.125) < 1e-12)
        // An event a half-life later weighs twice the first one as stored, both as seen later.
        e.recordActivity(at: t0 + .days(30), zone: utc, policy: policy)
        let later = e.activityHours(at: t0 + .days(30))
        #expect(abs(later.reduce(0, +) - 1.5) < 0.01)
    }

    @Test("a zero half-life switches decay off")
    func noDecay() {
        var off = policy
        off.halfLife = .zero
        var e = Engagement()
        e.recordActivity(at: t0, zone: utc, policy: off)
        e.recordActivity(at: t0 + .days(3650), zone: utc, policy: off)
        #expect(e.halfLife == .zero)
        #expect(e.activityHours(at: t0 + .days(7300)).reduce(0, +) == 2)
    }

    @Test("the landmark moves forward after many half-lives without changing what is read")
    func rebase() {
        var e = Engagement()
        e.recordActivity(at: t0, zone: utc, policy: policy)
        let before = e.activityHours(at: t0 + .days(600)).reduce(0, +)
        // 20 half-lives later: the landmark moves, the old event's weight is kept (2^-20 of a new one).
        e.recordActivity(at: t0 + .days(600), zone: utc, policy: policy)
        let after = e.activityHours(at: t0 + .days(600)).reduce(0, +)
        #expect(abs(after - (1 + before)) < 0.01)
        // Centuries later everything old has faded to nothing and state stays finite.
        e.recordSend(.sms, at: t0 + .days(36_500), zone: utc, policy: policy)
        let now = t0 + .days(36_500)
        #expect(abs(e.sendHours(.sms, at: now).reduce(0, +) - 1) < 0.01)
        #expect(e.activityHours(at: now).reduce(0, +) < 1e-9)
        #expect(e.lastSend(.sms) == now)
    }

    @Test("bins are by local hour, activity split into weekdays and weekends")
    func localBins() throws {
        let shanghai = try #require(Zone("Asia/Shanghai"))
        var e = Engagement()
        // Thursday 08:00Z is 16:00 in Shanghai; Saturday 20:00Z is Sunday 04:00 there.
        e.recordActivity(at: t0, zone: shanghai, policy: policy)
        e.recordActivity(at: t0 + .days(2) + .hours(12), zone: shanghai, policy: policy)
        e.recordOpen(.email, at: t0, zone: shanghai, policy: policy)
        let now = t0 + .days(3)
        let a = e.activityHours(at: now)
        #expect(a[16] > 0)
        #expect(a[24 + 4] > 0)
        #expect(a.filter { $0 > 0 }.count == 2)
        let opens = e.engagedHours(.email, at: now)
        #expect(opens[16] > 0 && opens.filter { $0 > 0 }.count == 1)
    }

    @Test("the first open or click within the window credits the last send, at the send's hour, once")
    func attribution() {
        var flat = policy
        flat.halfLife = .zero  // whole numbers to compare with
        var e = Engagement()
        e.recordSend(.email, at: hours(0), zone: utc, policy: flat)  // 08:00
        e.recordSend(.email, at: hours(3), zone: utc, policy: flat)  // 11:00 replaces it
        #expect(e.recordClick(.email, at: hours(12), zone: utc, policy: flat) == hours(3))
        #expect(e.recordOpen(.email, at: hours(13), zone: utc, policy: flat) == nil)
        // Nine hours after its send: a late answer, kept by send hour apart from the prompt ones.
        #expect(e.responseHours(.email, at: hours(13)).allSatisfy { $0 == 0 })
        let late = e.lateHours(.email, at: hours(13))
        #expect(late[11] == 1 && late.reduce(0, +) == 1)
        // A later send outside the window: the open comes too late.
        e.recordSend(.email, at: hours(24), zone: utc, policy: flat)
        #expect(e.recordOpen(.email, at: hours(24 + 72), zone: utc, policy: flat) == nil)
        // A response on another channel does not credit email.
        #expect(e.recordOpen(.sms, at: hours(25), zone: utc, policy: flat) == nil)
        #expect(e.counts(.email) == (sends: 3, responses: 1))
        let ev = e.evidence(.email, at: hours(24))
        #expect(ev.responses <= ev.sends)
        #expect(ev == (sends: 3, responses: 1))
        // Every open and click is an engagement time, credited or not.
        #expect(e.engagedHours(.email, at: hours(24)).reduce(0, +) == 3)
        #expect(e.engagedHours(.sms, at: hours(24)).reduce(0, +) == 1)
    }

    @Test("the latest send is pending while its answer may still come: unanswered and inside the window")
    func pendingSend() {
        var flat = policy
        flat.halfLife = .zero
        var e = Engagement()
        #expect(e.pendingSend(.email, at: hours(0), window: .days(3), zone: utc) == nil)
        e.recordSend(.email, at: hours(0), zone: utc, policy: flat)  // 08:00
        e.recordSend(.email, at: hours(30), zone: utc, policy: flat)  // 14:00 the next day
        let pending = e.pendingSend(.email, at: hours(40), window: .days(3), zone: utc)
        #expect(pending?.hour == 14 && pending?.weight == 1)
        // Only the latest: the 08:00 send can no longer be credited, so it is a miss already.
        #expect(e.pendingSend(.sms, at: hours(40), window: .days(3), zone: utc) == nil)
        // Once the window has passed, it is unanswered for good.
        #expect(e.pendingSend(.email, at: hours(30 + 72), window: .days(3), zone: utc) == nil)
        // An answer credits it: no longer pending.
        #expect(e.recordOpen(.email, at: hours(31), zone: utc, policy: flat) == hours(30))
        #expect(e.pendingSend(.email, at: hours(40), window: .days(3), zone: utc) == nil)
    }

    @Test("an open before any send, or before its send, credits nothing")
    func noCreditBeforeSend() {
        var e = Engagement()
        #expect(e.recordOpen(.email, at: hours(0), zone: utc, policy: policy) == nil)
        e.recordSend(.email, at: hours(5), zone: utc, policy: policy)
        #expect(e.recordOpen(.email, at: hours(4), zone: utc, policy: policy) == nil)
        #expect(e.counts(.email).responses == 0)
        // A send older than the last one is counted but cannot take the credit.
        e.recordSend(.email, at: hours(1), zone: utc, policy: policy)
        #expect(e.lastSend(.email) == hours(5))
        #expect(e.counts(.email).sends == 2)
    }

    @Test("8-bit bins keep counting, without bias, long after one event is smaller than a step")
    func quantisation() {
        var e = Engagement()
        var off = policy
        off.halfLife = .zero
        // 500 events at 20:00, 50 at 09:00, 5 at 03:00.
        for i in 0..<500 {
            e.recordActivity(at: t0 + .hours(12) + .days(Int64(i % 5)), zone: utc, policy: off)
        }
        for i in 0..<50 { e.recordActivity(at: t0 + .hours(1) + .days(Int64(i % 5)), zone: utc, policy: off) }
        for i in 0..<5 { e.recordActivity(at: t0 + .hours(19) + .days(Int64(i % 5)), zone: utc, policy: off) }
        let a = e.activityHours(at: t0)
        let weekday = zip(a[0..<24], a[24..<48]).map { $0 + $1 }
        // Steps are 2 events by the end here: stochastic rounding keeps each bin within a few steps.
        #expect(abs(weekday[20] - 500) < 10)
        #expect(abs(weekday[9] - 50) < 8)
        #expect(weekday[3] > 0 && weekday[3] < 12)
        // Replaying the same events gives the same state.
        var again = Engagement()
        for i in 0..<500 {
            again.recordActivity(at: t0 + .hours(12) + .days(Int64(i % 5)), zone: utc, policy: off)
        }
        for i in 0..<50 {
            again.recordActivity(at: t0 + .hours(1) + .days(Int64(i % 5)), zone: utc, policy: off)
        }
        for i in 0..<5 {
            again.recordActivity(at: t0 + .hours(19) + .days(Int64(i % 5)), zone: utc, policy: off)
        }
        #expect(again == e)
    }

    @Test("state round-trips through JSON as one base64 string; other forms decode as empty")
    func codable() throws {
        var e = Engagement()
        e.recordSend(.sms, at: t0, zone: utc, policy: policy)
        e.recordOpen(.sms, at: t0 + .minutes(3), zone: utc, policy: policy)
        e.recordActivity(at: t0, zone: utc, policy: policy)
        let data = try JSONEncoder().encode(e)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("\""))
        #expect(try JSONDecoder().decode(Engagement.self, from: data) == e)
        let old = Data(#"{"sends":[],"opens":[],"clicks":[],"activity":[1]}"#.utf8)
        #expect(try JSONDecoder().decode(Engagement.self, from: old).isEmpty)
        #expect(Engagement(packed: [9, 0, 0, 0]) == nil)
        #expect(Engagement(packed: Array(e.bytes.dropLast())) == nil)
        #expect(Engagement(packed: e.bytes) == e)
    }

    @Test("where in their hour sends fall is kept (local time, about the last eight sends)")
    func sendMinute() {
        var e = Engagement()
        #expect(e.sendMinute == 30)
        let kolkata = Zone("Asia/Kolkata")!  // UTC+05:30: 08:00Z is 13:30 local
        e.recordSend(.email, at: t0, zone: kolkata, policy: policy)
        #expect(abs(e.sendMinute - 30) < 0.3)
        for d in 1...40 {
            e.recordSend(.sms, at: t0 + .days(Int64(d)) + .minutes(20), zone: kolkata, policy: policy)
        }
        #expect(abs(e.sendMinute - 50) < 1.5)
    }

    @Test("an open within an hour of its send is the send's answer, not an open time")
    func quickOpens() {
        var e = Engagement()
        e.recordSend(.email, at: hours(0), zone: utc, policy: policy)
        #expect(e.recordOpen(.email, at: hours(0) + .minutes(59), zone: utc, policy: policy) == hours(0))
        #expect(e.engagedHours(.email, at: hours(2)).allSatisfy { $0 == 0 })
        #expect(e.responseHours(.email, at: hours(2))[8] > 0)
        e.recordOpen(.email, at: hours(1) + .minutes(1), zone: utc, policy: policy)
        #expect(e.engagedHours(.email, at: hours(2))[9] > 0)
    }

    @Test(
        "state of formats 1 and 2 decodes: without the send minute sends read as mid-hour, without late bins every answer as prompt"
    )
    func formatOne() throws {
        var e = Engagement()
        e.recordSend(.sms, at: t0 + .minutes(10), zone: utc, policy: policy)
        e.recordActivity(at: t0, zone: utc, policy: policy)
        // Format 2: no late-response bins; format 1: no send-minute byte either.
        var v2 = e.bytes
        v2.removeSubrange(
            (Engagement.channelsOffset + Engagement.lateBins)..<(Engagement.channelsOffset
                + Engagement.channelSize))
        v2[0] = 2
        #expect(try #require(Engagement(packed: v2)) == e)
        var v1 = v2
        v1.remove(at: 9)
        v1[0] = 1
        let decoded = try #require(Engagement(packed: v1))
        #expect(decoded.sendMinute == Double(Engagement.noSendMinute) / 255 * 60)
        #expect(decoded.sendHours(.sms, at: t0) == e.sendHours(.sms, at: t0))
        #expect(decoded.activityHours(at: t0) == e.activityHours(at: t0))
        #expect(decoded.counts(.sms) == e.counts(.sms))
    }

    @Test("a customer's policy zone is their timezone trait, else the default")
    func policyZone() {
        var c = Customer(id: "u1", traits: ["timezone": "Asia/Tokyo"])
        #expect(policy.zone(for: c).identifier == "Asia/Tokyo")
        c.traits["timezone"] = "Mars/Olympus"
        #expect(policy.zone(for: c) == .utc)
    }
}
