import Engine
import Foundation
import Store
import Testing
import TouchpointCore

extension TrackingSuite {
    /// The loop SPEC §9 closes: the daemon sends, the customer opens, the open comes back as an event, and
    /// the scheduler's choice moves to when the customer opens.
    @Suite("the loop, end to end") struct Loop {
        static let zone = Zone("Asia/Shanghai")!

        /// Local wall time in Shanghai on day `day` after Monday 2026-11-02.
        static func local(day: Int, hour: Int, minute: Int = 0) -> Instant {
            Instant(seconds: 1_793_548_800 + Int64(day) * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60)
        }

        @Test("opens at 20:00 local over simulated weeks move the scheduler's chosen hour to 20:00")
        func chosenHourMovesToOpens() async throws {
            let hours = try await Self.run(days: 35, userAgent: nil)
            #expect(hours.first != 20, "with no history the first message goes when due")
            #expect(
                hours.suffix(3).allSatisfy { $0 == 20 },
                "after weeks of 20:10 opens the scheduler sends at 20:00: \(hours)")
        }

        @Test(
            "the same opens made by Apple's privacy proxy are recorded as machine opens and teach the scheduler nothing"
        )
        func machineOpensTeachNothing() async throws {
            let hours = try await Self.run(days: 21, userAgent: "Mozilla/5.0")
            #expect(!hours.contains(20), "machine opens moved the send hour: \(hours)")
        }

        /// Runs the loop for `days` simulated days, the pixel fetched with `userAgent`; the chosen local
        /// send hour of each message.
        static func run(days: Int, userAgent: String?) async throws -> [Int] {
            #expect(
                ISO8601.format(Self.local(day: 0, hour: 0), offsetSeconds: 8 * 3600)
                    == "2026-11-02T00:00:00+08:00")
            let clock = TestClock(Self.local(day: 0, hour: 6))
            let daemon = try await DaemonHarness(
                rules: """
                    rules:
                      - name: nudge
                        when: { event: Nudge }
                        send: { template: nudge, channels: [email], within: 24h }
                    """,
                templates: [
                    "nudge/email.mustache": "---\nsubject: Hi\n---\n<html><body><p>Hi</p></body></html>\n"
                ],
                settings: "default-timezone: Asia/Shanghai\nquiet-hours: none\nfrequency-cap: none\n",
                channels: "  email: { kind: file, path: outbox }", clock: clock)
            defer { daemon.remove() }
            try daemon.append([
                #"{"type":"identify","userId":"u1","timestamp":"\#(ISO8601.format(clock.read(), offsetSeconds: 0))","traits":{"email":"li@example.com","timezone":"Asia/Shanghai"}}"#
            ])
            let store = try daemon.openStore()
            var hours: [Int] = []
            var day = 0
            // Triggers at changing hours of the morning and afternoon: the customer's activity is spread,
            // the opens always come at 20:10.
            let triggerHours = [7, 10, 13, 16]
            while day < days {
                let trigger = Self.local(day: day, hour: triggerHours[hours.count % triggerHours.count])
                clock.set(trigger)
                let eventId = "n-\(day)"
                try daemon.append([
                    #"{"type":"track","event":"Nudge","userId":"u1","messageId":"\#(eventId)","timestamp":"\#(ISO8601.format(trigger, offsetSeconds: 0))"}"#
                ])
                #expect(await daemon.caughtUp(), "day \(day): the daemon did not read the trigger")
                let id = StableID.message(rule: "nudge", customer: "u1", trigger: eventId)
                // Read and committed is not yet decided: the trigger may still be held in the sequencer's
                // lateness window when the offsets reach the end of the file.
                var decided: Instant?
                _ = await eventually(within: 20) {
                    decided = try? await Self.sendTime(of: id, store: store)
                    return decided != nil
                }
                let sendAt = try #require(decided, "day \(day): no decision")
                hours.append(Self.zone.fields(sendAt).hour)
                clock.set(Instant(milliseconds: max(trigger.milliseconds, sendAt.milliseconds) + 1000))
                let eml = daemon.outbox.appendingPathComponent(id + ".eml")
                #expect(
                    await eventually(within: 20) { FileManager.default.fileExists(atPath: eml.path) },
                    "day \(day): not sent")
                let html = try #require(htmlPart(ofEML: try String(contentsOf: eml, encoding: .utf8)))
                let pixel = try #require(
                    firstURL(in: html, containing: "/o/"), "the email has no pixel: \(html)")
                // The customer opens at 20:10 local, that day or the next.
                var open = Self.local(day: day, hour: 20, minute: 10)
                if open.milliseconds <= sendAt.milliseconds {
                    day += 1
                    open = Self.local(day: day, hour: 20, minute: 10)
                }
                clock.set(open)
                #expect(
                    await HTTP.get(
                        daemon.local(pixel), headers: userAgent.map { ["User-Agent: " + $0] } ?? []
                    ).status == 200)
                #expect(await daemon.caughtUp(), "day \(day): the open was not applied")
                day += 1
            }
            await daemon.stop()
            let opens = daemon.recorded().filter { $0["event"] as? String == "Message Opened" }
            #expect(opens.count == hours.count)
            let flagged = opens.filter { ($0["properties"] as? [String: Any])?["machine"] as? Bool == true }
            #expect(flagged.count == (userAgent == nil ? 0 : opens.count))
            print("loop (\(userAgent ?? "a person")): chosen local send hours, day by day: \(hours)")
            return hours
        }

        /// The send time the engine chose for message `id`: the outbox row's once it is due, else the pending
        /// message's in the customer's committed state.
        static func sendTime(of id: String, store: SQLiteStore) async throws -> Instant? {
            if let row = try await store.outboxRow(messageId: id) { return row.sendAt }
            let state = try await store.load()
            for (_, data) in state.customers {
                let customer = try CustomerState.stored(data)
                if let p = customer.pending.first(where: { $0.messageId == id }) { return p.sendAt }
            }
            return nil
        }
    }
}
