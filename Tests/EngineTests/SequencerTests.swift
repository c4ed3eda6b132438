import Engine
import Events
import Foundation
import Rules
import Testing
import TouchpointCore

/// Rules for the sequencer tests: a cancellable reminder, a receipt nothing can change, and one variant per
/// reason a message waits for the watermark.
private let rules = """
    rules:
      - name: cart-abandoned
        when: { event: Product Added }
        wait: 1h
        unless: [Order Completed]
        send: { template: plain, channels: [email] }
      - name: receipt
        when: { event: Order Completed }
        send: { template: plain, channels: [email] }
        transactional: true
      - name: alarm
        when: { event: Alarm }
        unless: [All Clear]
        send: { template: plain, channels: [email] }
        transactional: true
    """

private let noCaps = "default-timezone: UTC\nquiet-hours: none\nfrequency-cap: none\n"

private func at(_ minutes: Int) -> String {
    ISO8601.format(Instant(milliseconds: base.milliseconds + Int64(minutes) * 60_000), offsetSeconds: 0)
}

private let base = ISO8601.parse("2026-11-02T10:00:00Z")!.instant

private func identify(_ user: String, minute: Int) -> Event {
    event(Line.identify(user, at: at(minute), #"{"email":"\#(user)@example.com"}"#))
}

private func track(_ user: String, _ name: String, minute: Int, id: String? = nil) -> Event {
    event(Line.track(user, name, at: at(minute), id: id))
}

private func event(_ line: String) -> Event {
    var bytes = Array(line.utf8)
    let decoded = bytes.withUnsafeMutableBufferPointer {
        EventDecoder().decode(line: UnsafeBufferPointer($0), file: "test.jsonl", lineNumber: 1)
    }
    guard case .success(let e)? = decoded else { fatalError("bad test line \(line)") }
    return e
}

private func sequencer(_ f: Fixture, lateness: TimeSpan? = .minutes(5)) -> Sequencer {
    Sequencer(
        engine: Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings()),
        lateness: lateness)
}

@Suite("Sequencer: one order of events and timers (SPEC §1)")
struct SequencerTests {
    @Test("a later-dated event of another customer does not fire a timer a late cancelling event would stop")
    func timersWaitForTheWatermark() {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f)
        var out: [MessageRecord] = []
        s.offer(identify("u1", minute: 0)) { out.append($0) }
        s.offer(track("u1", "Product Added", minute: 0)) { out.append($0) }
        // Another customer, dated just past the reminder's due time: it used to fire the reminder on the spot.
        s.offer(track("u2", "Page Viewed", minute: 61)) { out.append($0) }
        #expect(out.isEmpty, "nothing is final before the watermark passes 11:00")
        // The order, dated two minutes before that event: inside the lateness, so it still cancels.
        let arrival = s.offer(track("u1", "Order Completed", minute: 59)) { out.append($0) }
        #expect(arrival == .accepted)
        s.finish(until: nil) { out.append($0) }
        #expect(out.filter { $0.rule == "cart-abandoned" }.map(\.reason) == [.cancelled])
        #expect(out.filter { $0.rule == "cart-abandoned" && $0.decision == .send }.isEmpty)
    }

    @Test("with lateness 0s the same order is late: the reminder went out, the order is applied and counted")
    func beyondLatenessIsAppliedAndCounted() {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f, lateness: .zero)
        var out: [MessageRecord] = []
        s.offer(identify("u1", minute: 0)) { out.append($0) }
        s.offer(track("u1", "Product Added", minute: 0)) { out.append($0) }
        s.offer(track("u2", "Page Viewed", minute: 61)) { out.append($0) }
        #expect(out.map(\.rule) == ["cart-abandoned"], "the watermark passed 11:00: the reminder is final")
        let arrival = s.offer(track("u1", "Order Completed", minute: 59)) { out.append($0) }
        #expect(arrival == .late(milliseconds: 2 * 60_000))
        #expect(s.lateCount == 1 && s.maxLateMilliseconds == 2 * 60_000)
        #expect(s.engine.stats.eventsApplied == 4, "a late event is applied, never dropped")
        #expect(out.contains { $0.rule == "receipt" && $0.decision == .send })
    }

    @Test("a receipt nothing can change is decided as its trigger arrives, while the event still waits")
    func promptReceipt() throws {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f)
        var out: [MessageRecord] = []
        // A new customer: the profile is held too, and the decision sees its address.
        s.offer(identify("u9", minute: 0)) { out.append($0) }
        s.offer(track("u9", "Order Completed", minute: 0, id: "o-1")) { out.append($0) }
        let receipt = try #require(out.first)
        #expect(out.count == 1)
        #expect(receipt.rule == "receipt" && receipt.decision == .send && receipt.channel == .email)
        #expect(receipt.sendAt == base)
        #expect(s.heldCount == 2, "both events still wait for the watermark")
        #expect(s.customer("u9")?.address(for: .email) == "u9@example.com")
        // When the watermark releases the order, the receipt is not decided a second time.
        s.finish(until: nil) { out.append($0) }
        #expect(out.filter { $0.rule == "receipt" }.count == 1)
        #expect(s.engine.stats.eventsApplied == 2)
    }

    @Test(
        "a rule with unless waits for the watermark even with wait 0, and a late canceller inside it stops it"
    )
    func unlessWaits() {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f)
        var out: [MessageRecord] = []
        s.offer(identify("u1", minute: 0)) { out.append($0) }
        s.offer(track("u1", "Alarm", minute: 10)) { out.append($0) }
        s.offer(track("u3", "Page Viewed", minute: 14)) { out.append($0) }
        #expect(out.isEmpty, "the watermark (14:00 - 5m) has not passed the alarm's 10:10")
        // Dated the alarm's own instant (a wait-0 message is sent at its trigger's), received four minutes later.
        s.offer(track("u1", "All Clear", minute: 10)) { out.append($0) }
        s.offer(track("u3", "Page Viewed", minute: 30)) { out.append($0) }
        #expect(out.map(\.reason) == [.cancelled])

        var t = sequencer(f)
        var sent: [MessageRecord] = []
        t.offer(identify("u1", minute: 0)) { sent.append($0) }
        t.offer(track("u1", "Alarm", minute: 10)) { sent.append($0) }
        t.offer(track("u3", "Page Viewed", minute: 15)) { sent.append($0) }
        #expect(sent.map(\.rule) == ["alarm"], "decided once the watermark reaches its due time")
    }

    @Test(
        "which messages wait for the watermark: unless, any wait, once-per, and the frequency cap for marketing",
        arguments: [
            (
                "when: { event: E }\n    send: { template: plain, channels: [email] }\n    transactional: true",
                true
            ),
            ("when: { event: E }\n    send: { template: plain, channels: [email] }", false),
            (
                "when: { event: E }\n    unless: [F]\n    send: { template: plain, channels: [email] }\n    transactional: true",
                false
            ),
            (
                "when: { event: E }\n    wait: 1m\n    send: { template: plain, channels: [email] }\n    transactional: true",
                false
            ),
            (
                "when: { event: E }\n    limit: { once-per: 1d }\n    send: { template: plain, channels: [email] }\n    transactional: true",
                false
            ),
        ])
    func promptClassification(body: String, prompt: Bool) throws {
        let f = Fixture(rules: "rules:\n  - name: r\n    " + body + "\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let rule = try #require(f.project.book.rules.first?.rule)
        #expect(RuleBook.decidesPromptly(rule, frequencyCap: FrequencyCap(max: 3, per: .days(7))) == prompt)
    }

    @Test("a marketing message with no cap to compete under is prompt; with the frequency cap it waits")
    func capMakesMarketingWait() throws {
        let f = Fixture(
            rules:
                "rules:\n  - name: r\n    when: { event: E }\n    send: { template: plain, channels: [email] }\n"
        )
        let rule = try #require(f.project.book.rules.first?.rule)
        #expect(RuleBook.decidesPromptly(rule, frequencyCap: nil))
        #expect(!RuleBook.decidesPromptly(rule, frequencyCap: FrequencyCap(max: 3, per: .days(7))))
    }

    @Test(
        "offered again after a restart (the daemon re-reads held lines), a prompt decision is not made twice")
    func promptDecisionSurvivesARestart() throws {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f)
        var out: [MessageRecord] = []
        s.offer(identify("u9", minute: 0)) { out.append($0) }
        s.offer(track("u9", "Order Completed", minute: 0, id: "o-1")) { out.append($0) }
        #expect(out.count == 1)
        // What the daemon commits: the engine's state (the held events are not in it; their lines are read again).
        var engine = s.engine
        let changes = try engine.takeChanges()
        let decoded = try Engine.decode(customers: changes.customers, globals: changes.globals)
        var restored = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        restored.restore(globals: decoded.globals, customers: decoded.customers)
        var again = Sequencer(engine: restored, lateness: .minutes(5))
        var after: [MessageRecord] = []
        again.offer(identify("u9", minute: 0)) { after.append($0) }
        again.offer(track("u9", "Order Completed", minute: 0, id: "o-1")) { after.append($0) }
        again.finish(until: nil) { after.append($0) }
        #expect(after.isEmpty, "the receipt was decided before the restart: \(after.map(\.rule))")
        #expect(again.engine.customers["u9"]?.address(for: .email) == "u9@example.com")
    }

    @Test("the daemon's clock never passes the wall clock: an event dated ahead waits, and so do its timers")
    func clockCappedByTheWall() {
        let f = Fixture(rules: rules, config: noCaps)
        var s = sequencer(f)
        var out: [MessageRecord] = []
        s.wallClock = base
        s.offer(identify("u1", minute: 0)) { out.append($0) }
        s.offer(track("u1", "Product Added", minute: -120)) { out.append($0) }
        s.offer(track("u2", "Page Viewed", minute: 4)) { out.append($0) }
        #expect(s.clock == base, "dated 4 minutes ahead, it does not move the clock past the wall")
        s.advance(wall: base + .minutes(1), caughtUp: true) { out.append($0) }
        #expect(s.clock == base + .minutes(1))
        #expect(
            out.map(\.rule) == ["cart-abandoned"], "the reminder due 09:00 is behind the watermark: final")
        #expect(s.engine.now <= base + .minutes(1))
    }

    @Test(
        "a dry-run reports a line dated far beyond its watermark (year 9999) and counts late lines with the worst"
    )
    func dryRunReportsFarAheadAndLate() throws {
        let f = Fixture(rules: rules, config: noCaps)
        let (_, replay) = try f.replay([
            Line.identify("u1", at: at(0), #"{"email":"u1@example.com"}"#),
            Line.track("u1", "Product Added", at: at(1)),
            Line.track("mallory", "Page Viewed", at: "9999-12-31T23:59:59Z"),
            Line.track("u1", "Order Completed", at: at(2)),
        ])
        #expect(replay.farAhead.map(\.line) == [3])
        #expect(replay.farAhead.first?.description.contains("beyond the replay's watermark") == true)
        #expect(
            replay.sequencer.lateCount == 1, "the order arrives after the year-9999 line fired the reminder")
        #expect(replay.sequencer.maxLateMilliseconds > 365 * 86_400_000)
    }
}
