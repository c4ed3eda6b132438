import Engine
import Events
import Foundation
import Testing
import TouchpointCore

@Suite("Engine state survives a restart")
struct PersistenceTests {
    static let rules = """
        rules:
          - name: cart-abandoned
            when: { event: Product Added, if: event.properties.price >= 10 }
            wait: 1h
            unless: [Order Completed]
            send: { template: cart, channels: [email, sms], within: 24h }
            limit: { once-per: 7d }
          - name: win-back
            when: { inactive: 30d }
            send: { template: hello, channels: [email], within: 1d }
        """

    static let lines: [String] = {
        var out = [
            Line.identify(
                "u1", at: "2026-11-02T09:00:00+08:00",
                #"{"email":"a@example.com","first_name":"A","timezone":"Asia/Shanghai"}"#),
            Line.identify(
                "u2", at: "2026-11-02T09:00:00+08:00",
                #"{"email":"b@example.com","phone":"+15550100","first_name":"B"}"#),
        ]
        for day in 2...20 {
            let d = day < 10 ? "0\(day)" : "\(day)"
            out.append(
                Line.track(
                    "u1", "Product Added", at: "2026-11-\(d)T10:00:00+08:00", id: "a\(day)",
                    #"{"price":20,"cart_url":"x"}"#))
            if day % 3 == 0 {
                out.append(
                    Line.track("u1", "Order Completed", at: "2026-11-\(d)T10:30:00+08:00", id: "o\(day)"))
            }
            out.append(
                Line.track(
                    "u2", "Product Added", at: "2026-11-\(d)T12:00:00Z", id: "b\(day)",
                    #"{"price":15,"cart_url":"y"}"#))
        }
        return out
    }()

    @Test("replaying in two halves with a save and restore in between gives the same messages as one run")
    func splitRun() throws {
        let f = Fixture(rules: Self.rules)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let whole = try f.run(Self.lines).map(\.jsonLine)
        #expect(whole.count > 5)

        let settings = f.project.engineSettings()
        var first = Engine(book: f.project.book, templates: f.project.templates, settings: settings)
        var out: [String] = []
        let events = Self.lines.map { line in
            EventDecoderShim.decode(line)
        }
        let half = events.count / 2
        for e in events[..<half] { out += first.apply(e).map(\.jsonLine) }
        let (blobs, globals) = try first.takeChanges()
        #expect(first.dirtyCount == 0)

        // A new process: a fresh engine restored from the blobs only.
        var second = Engine(book: f.project.book, templates: f.project.templates, settings: settings)
        let decoded = try Engine.decode(customers: blobs, globals: globals)
        second.restore(globals: decoded.globals, customers: decoded.customers)
        for e in events[half...] { out += second.apply(e).map(\.jsonLine) }
        out += second.finish().map(\.jsonLine)
        #expect(out == whole)
    }

    /// A rule with a fallback chain: its follow-up waits `after` from the first send, not `wait` from the
    /// trigger, and a hard bounce brings it forward.
    static let fallbackRules = """
        rules:
          - name: cart-abandoned
            when: { event: Product Added }
            wait: 1h
            unless: [Order Completed]
            send:
              template: cart
              channels: [email, sms]
              within: 24h
              fallback: { after: 24h, unless: [Message Opened] }
        """

    static let fallbackLines: [String] = {
        var out = [
            Line.identify(
                "u1", at: "2026-11-02T00:00:00Z",
                #"{"email":"a@example.com","phone":"+15550100","first_name":"A","timezone":"UTC"}"#),
            Line.identify(
                "u2", at: "2026-11-02T00:00:00Z",
                #"{"email":"b@example.com","phone":"+15550101","first_name":"B","timezone":"UTC"}"#),
        ]
        func day2(_ d: Int) -> String { d < 10 ? "0\(d)" : "\(d)" }
        for day in [2, 6, 10] {
            for user in ["u1", "u2"] {
                out.append(
                    Line.track(
                        user, "Product Added", at: "2026-11-\(day2(day))T12:00:00Z",
                        id: "\(user)-\(day)", #"{"cart_url":"x"}"#))
            }
            // u2's first email bounces hard two hours after it went: its follow-up comes at once.
            let first = StableID.message(rule: "cart-abandoned", customer: "u2", trigger: "u2-\(day)")
            out.append(
                Line.track(
                    "u2", "Message Bounced", at: "2026-11-\(day2(day))T15:00:00Z",
                    #"{"channel":"email","message_id":"\#(first)","type":"hard"}"#))
            // Something between the first send and the follow-up: a restart can land while it waits.
            out.append(Line.track("u3", "Page Viewed", at: "2026-11-\(day2(day + 1))T06:00:00Z"))
        }
        return out
    }()

    @Test(
        "a restart between any two events (state saved, decoded, restored) gives one run's decisions, fallback follow-ups included"
    )
    func restartAnywhere() throws {
        let f = Fixture(rules: Self.fallbackRules)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let whole = try f.run(Self.fallbackLines).map(\.jsonLine)
        #expect(
            whole.filter { $0.contains(#""fallback_of":"#) && !$0.contains(#""fallback_of":null"#) }.count
                >= 4)
        let settings = f.project.engineSettings()
        let events = Self.fallbackLines.map(EventDecoderShim.decode)
        for cut in 1..<events.count {
            var first = Engine(book: f.project.book, templates: f.project.templates, settings: settings)
            var out: [String] = []
            for e in events[..<cut] { out += first.apply(e).map(\.jsonLine) }
            let (blobs, globals) = try first.takeChanges()
            var second = Engine(book: f.project.book, templates: f.project.templates, settings: settings)
            let decoded = try Engine.decode(customers: blobs, globals: globals)
            second.restore(globals: decoded.globals, customers: decoded.customers)
            #expect(second.stats.retimedOnRestore == 0, "cut at \(cut)")
            for e in events[cut...] { out += second.apply(e).map(\.jsonLine) }
            out += second.finish().map(\.jsonLine)
            // The first decision that differs, not both timelines: they run to thousands of characters.
            let differs =
                (0..<min(out.count, whole.count)).first { out[$0] != whole[$0] }
                ?? min(out.count, whole.count)
            #expect(
                out.count == whole.count && differs == out.count,
                "restart after event \(cut), decision \(differs):\n\(out.dropFirst(differs).first ?? "none")\nin one run:\n\(whole.dropFirst(differs).first ?? "none")"
            )
        }
    }

    @Test("a pending message of a rule that was removed is dropped and counted on restore")
    func removedRule() throws {
        let f = Fixture(rules: Self.rules)
        var engine = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        _ = engine.apply(EventDecoderShim.decode(Self.lines[0]))
        _ = engine.apply(EventDecoderShim.decode(Self.lines[2]))
        let states = engine.allStates()
        let g = Fixture(
            rules: """
                rules:
                  - name: other
                    when: { event: Tick }
                    send: { template: plain, channels: [email] }
                """)
        var restored = Engine(
            book: g.project.book, templates: g.project.templates, settings: g.project.engineSettings())
        restored.restore(globals: engine.globals, customers: states)
        #expect(restored.stats.droppedOnRestore == 2)  // the cart reminder and the inactivity deadline
        #expect(restored.finish().isEmpty)
    }

    @Test("a wall clock past the window plus max-lateness drops the message as window-expired")
    func windowExpired() throws {
        let f = Fixture(rules: Self.rules)
        var engine = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        engine.wallClock = ISO8601.parse("2026-11-05T00:00:00Z")!.instant
        _ = engine.apply(EventDecoderShim.decode(Self.lines[0]))
        _ = engine.apply(EventDecoderShim.decode(Self.lines[2]))
        let records = engine.advance(to: ISO8601.parse("2026-11-02T12:00:00+08:00")!.instant)
        #expect(records.map(\.reason) == [.windowExpired])
    }
}

/// Decodes a test line with the real decoder.
enum EventDecoderShim {
    static func decode(_ line: String) -> Event {
        guard case .success(let e)? = EventDecoder().decode(line: line, file: "test", lineNumber: 1) else {
            fatalError("bad test line \(line)")
        }
        return e
    }
}
