import Engine
import Foundation
import Testing
import TouchpointCore

private let cartRule = """
    rules:
      - name: cart-abandoned
        when: { event: Product Added, if: event.properties.price >= 10 }
        wait: 1h
        unless: [Order Completed]
        send: { template: cart, channels: [email, sms] }
    """

private let li = Line.identify(
    "u1", at: "2026-11-02T09:00:00+08:00",
    #"{"email":"li@example.com","phone":"+8613800138000","first_name":"雷","timezone":"Asia/Shanghai","locale":"zh-CN"}"#
)

@Suite("Rule semantics (SPEC §2)")
struct EngineSemanticsTests {
    @Test("an abandoned cart gets one reminder an hour after the trigger")
    func cartReminder() throws {
        let f = Fixture(rules: cartRule)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", id: "e-1",
                #"{"price":38.5,"cart_url":"https://s/1"}"#),
        ])
        let sent = try #require(records.sent.first)
        #expect(records.sent.count == 1)
        #expect(sent.rule == "cart-abandoned")
        #expect(sent.channel == .email)
        #expect(sent.sendAt == ISO8601.parse("2026-11-02T11:00:00+08:00")!.instant)
        #expect(sent.content?.subject == "Your cart, 雷")
        #expect(sent.triggerMessageId == "e-1")
    }

    @Test("an order inside the wait cancels the reminder, and the cancellation is reported")
    func cancellation() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"u"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00"),
        ])
        #expect(records.sent.isEmpty)
        #expect(records.held.map(\.reason) == [.cancelled])
        #expect(records.held.first?.detail?.contains("Order Completed") == true)
    }

    @Test("an order after the message was sent cancels nothing")
    func lateOrder() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"u"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-02T12:30:00+08:00"),
        ])
        #expect(records.sent.count == 1)
        #expect(records.held.isEmpty)
    }

    @Test("a condition that is false does not trigger; one that fails at run time is false and counted")
    func conditions() throws {
        let f = Fixture(rules: cartRule)
        let (records, replay) = try f.replay([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":5,"cart_url":"u"}"#),
            Line.track("u1", "Product Added", at: "2026-11-02T10:05:00+08:00", #"{"cart_url":"u"}"#),
        ])
        #expect(records.isEmpty)
        #expect(replay.engine.stats.expressionFailures["cart-abandoned"]?.count == 1)
    }

    @Test("a new trigger while pending restarts the timer")
    func restart() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:45:00+08:00", #"{"price":38.5,"cart_url":"b"}"#),
        ])
        #expect(records.sent.count == 1)
        #expect(records.sent.first?.sendAt == ISO8601.parse("2026-11-02T11:45:00+08:00")!.instant)
        #expect(records.sent.first?.content?.text.contains("b") == true)
    }

    @Test("restart: false keeps the first pending message")
    func noRestart() throws {
        let f = Fixture(
            rules: cartRule.replacingOccurrences(of: "    wait: 1h", with: "    wait: 1h\n    restart: false")
        )
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:45:00+08:00", #"{"price":38.5,"cart_url":"b"}"#),
        ])
        #expect(records.sent.count == 1)
        #expect(records.sent.first?.sendAt == ISO8601.parse("2026-11-02T11:00:00+08:00")!.instant)
    }

    @Test("unless with same: correlates by key, so another cart's order does not cancel")
    func sameKey() throws {
        let rules = cartRule.replacingOccurrences(
            of: "unless: [Order Completed]", with: "unless: [{event: Order Completed, same: [cart_id]}]")
        let f = Fixture(rules: rules)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let other = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00",
                #"{"price":38.5,"cart_url":"a","cart_id":"c1"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00", #"{"cart_id":"c2"}"#),
        ])
        #expect(other.sent.count == 1)
        let same = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00",
                #"{"price":38.5,"cart_url":"a","cart_id":"c1"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00", #"{"cart_id":"c1"}"#),
        ])
        #expect(same.sent.isEmpty)
        #expect(same.held.first?.reason == .cancelled)
    }

    @Test("unless with a condition cancels only when it holds")
    func unlessCondition() throws {
        let rules = cartRule.replacingOccurrences(
            of: "unless: [Order Completed]",
            with: "unless: [{event: Order Completed, if: event.properties.total > 0}]")
        let f = Fixture(rules: rules)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let zero = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00", #"{"total":0}"#),
        ])
        #expect(zero.sent.count == 1)
    }

    @Test("a duplicate messageId is processed once")
    func duplicates() throws {
        let f = Fixture(rules: cartRule)
        let added = Line.track(
            "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", id: "e-9",
            #"{"price":38.5,"cart_url":"a"}"#)
        let (records, replay) = try f.replay([
            li, added,
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00", id: "e-10"),
            // The same Product Added again, after the order: it must not re-arm the reminder.
            added.replacingOccurrences(of: "10:00:00", with: "10:40:00"),
        ])
        #expect(records.sent.isEmpty)
        #expect(replay.engine.stats.duplicates == 1)
    }

    @Test("malformed lines are rejected with file:line and the rest still runs")
    func malformed() throws {
        let f = Fixture(rules: cartRule)
        let (records, replay) = try f.replay([
            li,
            #"{"type":"track","event":"Product Added","timestamp":"2026-11-02T10:00:00+08:00"}"#,
            "{not json",
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
        ])
        #expect(records.sent.count == 1)
        #expect(replay.rejections.count == 2)
        #expect(replay.rejections.map(\.line) == [2, 3])
        #expect(replay.rejections[0].reason.contains("userId"))
    }

    @Test("a cancelling event that arrives late but is dated earlier still cancels (bounded lateness)")
    func lateness() throws {
        let f = Fixture(rules: cartRule, config: "default-timezone: Asia/Shanghai\nlateness: 2h\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track("u1", "Product Viewed", at: "2026-11-02T11:30:00+08:00"),
            Line.track("u1", "Product Viewed", at: "2026-11-02T12:00:00+08:00"),
            // Dated before the reminder is due, but arriving after events dated later.
            Line.track("u1", "Order Completed", at: "2026-11-02T10:30:00+08:00"),
        ])
        #expect(records.sent.isEmpty)
        #expect(records.held.first?.reason == .cancelled)
    }

    @Test("--until stops the clock before the message is due")
    func until() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run(
            [
                li,
                Line.track(
                    "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            ],
            until: "2026-11-02T10:59:00+08:00")
        #expect(records.isEmpty)
    }
}

private let winBackRule = """
    rules:
      - name: win-back
        when: { inactive: 30d }
        send: { template: hello, channels: [email], within: 1d }
    """

@Suite("Inactivity, caps, consent, rendering")
struct EngineSchedulingTests {
    @Test("when.inactive fires once after the customer goes quiet, and re-arms on the next activity")
    func inactivity() throws {
        let f = Fixture(
            rules: winBackRule)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track("u1", "Product Viewed", at: "2026-11-02T10:00:00+08:00"),
            // Engagement does not count as activity.
            Line.track("u1", "Email Opened", at: "2026-11-20T10:00:00+08:00"),
            Line.track("u1", "Product Viewed", at: "2026-12-10T10:00:00+08:00"),
        ])
        #expect(records.sent.count == 2)
        #expect(records.sent.first?.dueAt == ISO8601.parse("2026-12-02T10:00:00+08:00")!.instant)
        #expect(records.sent.last?.dueAt == ISO8601.parse("2027-01-09T10:00:00+08:00")!.instant)
    }

    @Test("when.inactive keeps one queued timer per customer, however many activity events arrive")
    func inactivityTimersDoNotGrowWithEvents() throws {
        let f = Fixture(
            rules: winBackRule)
        #expect(f.errors.isEmpty, "\(f.errors)")
        var lines = [li]
        for day in 1...28 {
            let d = day < 10 ? "0\(day)" : "\(day)"
            for hour in ["09", "12", "18"] {
                lines.append(Line.track("u1", "Product Viewed", at: "2026-11-\(d)T\(hour):00:00+08:00"))
            }
        }
        // Stop before the deadline: the queue holds what 84 activity events left behind.
        let (records, replay) = try f.replay(lines, until: "2026-11-28T19:00:00+08:00")
        #expect(records.isEmpty)
        #expect(replay.engine.timerCount == 1)
        // Run out: one win-back, 30 days after the last activity.
        let all = try f.run(lines)
        #expect(all.sent.count == 1)
        #expect(all.sent.first?.dueAt == ISO8601.parse("2026-12-28T18:00:00+08:00")!.instant)
    }

    @Test("send ledgers keep only what once-per and the frequency cap can still count")
    func ledgersArePruned() throws {
        let f = Fixture(
            rules: """
                rules:
                  - name: daily
                    when: { event: Tick }
                    send: { template: plain, channels: [email] }
                    limit: { once-per: 2d }
                """,
            config: "default-timezone: Asia/Shanghai\nquiet-hours: none\nfrequency-cap: none\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        var lines = [li]
        for day in 0..<90 {
            let date = ISO8601.format(
                ISO8601.parse("2026-11-03T10:00:00+08:00")!.instant + .days(Int64(day)),
                offsetSeconds: 8 * 3600)
            lines.append(Line.track("u1", "Tick", at: date))
        }
        let (records, replay) = try f.replay(lines)
        // Every other day passes the 2-day once-per limit.
        #expect(records.sent.count == 45)
        // 2 days of span plus a day of margin: at most the last three or four sends remain.
        #expect(replay.engine.ledgerEntryCount <= 4)
    }

    @Test("a late activity event does not move the inactivity deadline earlier")
    func lateActivityKeepsDeadline() throws {
        let f = Fixture(
            rules: winBackRule,
            config: "default-timezone: Asia/Shanghai\nlateness: 0s\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track("u1", "Product Viewed", at: "2026-11-10T10:00:00+08:00"),
            Line.track("u1", "Product Viewed", at: "2026-11-05T10:00:00+08:00"),
        ])
        #expect(records.sent.count == 1)
        #expect(records.sent.first?.dueAt == ISO8601.parse("2026-12-10T10:00:00+08:00")!.instant)
    }

    @Test("limit.once-per holds back a second message of the rule")
    func oncePer() throws {
        let f = Fixture(
            rules: cartRule.replacingOccurrences(
                of: "    wait: 1h", with: "    wait: 1h\n    limit: { once-per: 7d }"))
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-03T10:00:00+08:00", #"{"price":38.5,"cart_url":"b"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-10T10:00:00+08:00", #"{"price":38.5,"cart_url":"c"}"#),
        ])
        #expect(records.sent.count == 2)
        #expect(records.held.map(\.reason) == [.ruleLimit])
    }

    @Test(
        "the frequency cap lets the higher priority win among messages due together; transactional is exempt")
    func frequencyCap() throws {
        let f = Fixture(
            rules: """
                rules:
                  - name: low
                    when: { event: Tick }
                    send: { template: plain, channels: [email] }
                    priority: 1
                  - name: high
                    when: { event: Tick }
                    send: { template: plain, channels: [email] }
                    priority: 5
                  - name: receipt
                    when: { event: Tick }
                    send: { template: plain, channels: [email] }
                    transactional: true
                """,
            config: "default-timezone: Asia/Shanghai\nfrequency-cap: { max: 1, per: 7d }\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([li, Line.track("u1", "Tick", at: "2026-11-02T10:00:00+08:00")])
        #expect(Set(records.sent.map(\.rule)) == ["high", "receipt"])
        #expect(records.held.map(\.rule) == ["low"])
        #expect(records.held.first?.reason == .frequencyCap)
    }

    @Test("quiet hours across midnight push the send to the morning in the customer's zone")
    func quietHours() throws {
        let f = Fixture(
            rules: cartRule.replacingOccurrences(
                of: "channels: [email, sms] }", with: "channels: [email, sms], within: 24h }"),
            config: "default-timezone: UTC\nquiet-hours: \"21:00-08:00\"\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T22:30:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
        ])
        let sent = try #require(records.sent.first)
        #expect(sent.sendAt == ISO8601.parse("2026-11-03T08:00:00+08:00")!.instant)
        #expect(sent.jsonLine.contains(#""send_at":"2026-11-03T08:00:00+08:00""#))
    }

    @Test("a window wholly inside quiet hours suppresses the message")
    func quietWindow() throws {
        let f = Fixture(rules: cartRule, config: "default-timezone: UTC\nquiet-hours: \"21:00-08:00\"\n")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T22:30:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
        ])
        #expect(records.sent.isEmpty)
        #expect(records.held.first?.reason == .quietHours)
    }

    @Test("an unsubscribe between scheduling and sending holds the message back")
    func consentChange() throws {
        let f = Fixture(
            rules: cartRule.replacingOccurrences(
                of: "channels: [email, sms] }", with: "channels: [email], within: 24h }"),
            config: "default-timezone: UTC\nquiet-hours: \"21:00-08:00\"\n")
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T22:30:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
            Line.track("u1", "Unsubscribed", at: "2026-11-03T01:00:00+08:00", #"{"channel":"email"}"#),
        ])
        #expect(records.sent.isEmpty)
        #expect(records.held.first?.reason == .unsubscribed)
    }

    @Test("an opted-out channel is skipped for the next reachable one")
    func optOut() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run([
            li,
            Line.track("u1", "Unsubscribed", at: "2026-11-02T09:30:00+08:00", #"{"channel":"email"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00",
                #"{"price":38.5,"cart_url":"https://s/1"}"#),
        ])
        let sent = try #require(records.sent.first)
        #expect(sent.channel == .sms)
        // Locale zh-CN picks the zh-CN SMS variant.
        #expect(sent.content?.text == "雷，您的购物车还在等您 https://s/1")
        #expect(sent.locale == "zh-CN")
        #expect(sent.content?.sms?.segments == 1)
    }

    @Test("a variable missing at render time suppresses the message, naming it")
    func missingVariable() throws {
        let f = Fixture(rules: cartRule)
        let records = try f.run([
            Line.identify("u2", at: "2026-11-02T09:00:00+08:00", #"{"email":"x@example.com"}"#),
            Line.track(
                "u2", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
        ])
        #expect(records.sent.isEmpty)
        let held = try #require(records.held.first)
        #expect(held.reason == .missingVariable)
        #expect(held.detail?.contains("customer.first_name") == true)
    }

    @Test("a customer who opens SMS and never email gets SMS")
    func channelFromHistory() throws {
        let f = Fixture(rules: cartRule)
        var lines = [li]
        for day in 1...5 {
            let d = day < 10 ? "0\(day)" : "\(day)"
            lines.append(
                Line.track("u1", "Message Sent", at: "2026-10-\(d)T10:00:00+08:00", #"{"channel":"email"}"#))
            lines.append(
                Line.track("u1", "Message Sent", at: "2026-10-\(d)T11:00:00+08:00", #"{"channel":"sms"}"#))
            lines.append(
                Line.track("u1", "Message Opened", at: "2026-10-\(d)T11:05:00+08:00", #"{"channel":"sms"}"#))
        }
        lines.append(
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#))
        let records = try f.run(lines)
        #expect(records.sent.first?.channel == .sms)
    }

    @Test("the same input gives the same output, byte for byte")
    func deterministic() throws {
        let f = Fixture(rules: cartRule)
        let lines = [
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", #"{"price":38.5,"cart_url":"a"}"#),
        ]
        #expect(try f.run(lines).map(\.jsonLine) == f.run(lines).map(\.jsonLine))
    }
}

@Suite("Deferred rendering")
struct DeferredRenderingTests {
    @Test(
        "deciding with the render check only, then rendering, gives exactly the records of rendering in place"
    )
    func deferredEqualsInPlace() throws {
        let f = Fixture(
            rules: """
                rules:
                  - name: cart
                    when: { event: Product Added }
                    wait: 1h
                    send: { template: cart, channels: [sms, email] }
                  - name: hello
                    when: { event: Signed Up }
                    send: { template: hello, channels: [email] }
                """,
            config: "default-timezone: Asia/Shanghai\nquiet-hours: none\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let lines = [
            Line.identify(
                "u1", at: "2026-11-01T09:00:00+08:00",
                #"{"email":"a@example.com","phone":"+8613800138000","first_name":"雷","locale":"zh-CN"}"#),
            // No first_name: the hello email fails its strict check (missing-variable) either way.
            Line.identify("u2", at: "2026-11-01T09:00:00+08:00", #"{"email":"b@example.com"}"#),
            Line.track(
                "u1", "Product Added", at: "2026-11-02T10:00:00+08:00",
                #"{"cart_url":"https://shop.example/c/1"}"#),
            Line.track("u2", "Signed Up", at: "2026-11-02T10:00:00+08:00"),
            // No cart_url: missing-variable.
            Line.track("u1", "Product Added", at: "2026-11-03T10:00:00+08:00"),
            Line.track("u1", "Signed Up", at: "2026-11-03T11:00:00+08:00"),
        ]
        func replay(deferring: Bool) throws -> [String] {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("touchpoint-\(UUID().uuidString).jsonl").path
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var engine = Engine(
                book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
            engine.defersRendering = deferring
            var replay = Replay(engine: engine, lateness: f.project.config.lateness)
            var out: [String] = []
            let emit: (MessageRecord) -> Void = { record in
                var record = record
                if deferring {
                    #expect(record.content == nil)
                    record.completeRendering(with: f.project.templates)
                }
                #expect(record.pendingRender == nil)
                var bytes: [UInt8] = []
                record.writeJSONLine(into: &bytes)
                out.append(String(decoding: bytes, as: UTF8.self))
            }
            try replay.read(file: path, emit: emit, reject: { _ in })
            replay.finish(until: nil, emit: emit)
            return out
        }
        let inPlace = try replay(deferring: false)
        #expect(inPlace.count == 4)
        #expect(inPlace.filter { $0.contains(#""reason":"missing-variable""#) }.count == 2)
        #expect(try replay(deferring: true) == inPlace)
    }
}
