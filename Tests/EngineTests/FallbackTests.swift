import Engine
import Foundation
import Rules
import Testing
import TouchpointCore

private func fallbackRule(cap: String = "", within: String = "0s") -> String {
    """
    rules:
      - name: cart-abandoned
        when: { event: Product Added }
        wait: 1h
        unless: [Order Completed]
        send:
          template: cart
          channels: [email, sms]
          within: \(within)
          fallback: { after: 24h, unless: [Message Opened, Message Clicked] }
        limit: { once-per: 7d }
    """
}

private let config = """
    default-timezone: Asia/Shanghai
    quiet-hours: "21:00-08:00"
    frequency-cap: none

    """

private let li = Line.identify(
    "u1", at: "2026-11-02T09:00:00+08:00",
    #"{"email":"li@example.com","phone":"+8613800138000","first_name":"雷","timezone":"Asia/Shanghai","locale":"zh-CN"}"#
)

private let added = Line.track(
    "u1", "Product Added", at: "2026-11-02T10:00:00+08:00", id: "e-1",
    #"{"price":38.5,"cart_url":"https://s/1"}"#)

private let firstId = StableID.message(rule: "cart-abandoned", customer: "u1", trigger: "e-1")

private func at(_ s: String) -> Instant { ISO8601.parse(s)!.instant }

@Suite("fallback chains (send.fallback)")
struct FallbackTests {
    @Test("opened in time: no follow-up")
    func openedInTime() throws {
        let f = Fixture(rules: fallbackRule(), config: config)
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            li, added,
            Line.track(
                "u1", "Message Opened", at: "2026-11-02T15:00:00+08:00",
                #"{"channel":"email","message_id":"\#(firstId)"}"#),
        ])
        #expect(records.sent.count == 1, "\(records.map(\.jsonLine))")
        #expect(records.sent.first?.messageId == firstId)
        #expect(records.sent.first?.fallbackOf == nil)
    }

    @Test("not opened: one follow-up on the next channel, its own derived id, at its best allowed hour")
    func notOpened() throws {
        let f = Fixture(rules: fallbackRule(within: "12h"), config: config)
        let records = try f.run([
            li, added,
            // An open of another message does not answer this one.
            Line.track(
                "u1", "Message Opened", at: "2026-11-02T15:00:00+08:00",
                #"{"channel":"email","message_id":"someone-else"}"#),
        ])
        #expect(records.sent.count == 2, "\(records.map(\.jsonLine))")
        let first = try #require(records.sent.first)
        let follow = try #require(records.sent.last)
        #expect(first.channel == .email)
        #expect(first.fallbackOf == nil)
        #expect(follow.channel == .sms)
        #expect(follow.fallbackOf == first.messageId)
        #expect(follow.messageId == StableID.fallback(of: first.messageId))
        #expect(follow.dueAt == first.sendAt! + TimeSpan(seconds: 86_400))
        // Inside its window and outside quiet hours.
        let send = try #require(follow.sendAt)
        #expect(send >= follow.dueAt && send <= follow.dueAt + TimeSpan(seconds: 12 * 3600))
        let hour = Zone("Asia/Shanghai")!.fields(send).hour
        #expect(hour >= 8 && hour < 21, "sent at \(hour):00")
        #expect(follow.content?.text.contains("购物车") == true)
        #expect(follow.jsonLine.contains(#""fallback_of":"\#(first.messageId)""#))
        #expect(follow.tableBlock().contains("fallback of \(first.messageId)"))
    }

    @Test("the follow-up keeps quiet hours: due at night, it goes at the first allowed hour")
    func quietHours() throws {
        let f = Fixture(rules: fallbackRule(within: "24h"), config: config)
        let records = try f.run([
            li,
            Line.track(
                "u1", "Product Added", at: "2026-11-02T19:30:00+08:00", id: "e-1", #"{"cart_url":"u"}"#),
        ])
        let follow = try #require(records.sent.first { $0.fallbackOf != nil }, "\(records.map(\.jsonLine))")
        // The first went at 20:30; the follow-up is due 20:30 the next day, and 21:00-08:00 is quiet.
        #expect(follow.dueAt == at("2026-11-03T20:30:00+08:00"))
        let hour = Zone("Asia/Shanghai")!.fields(follow.sendAt!).hour
        #expect(hour >= 8 && hour < 21, "\(follow.jsonLine)")
    }

    @Test("a hard bounce of the first send brings the follow-up at once; a soft one does not")
    func hardBounce() throws {
        let f = Fixture(rules: fallbackRule(), config: config)
        let records = try f.run([
            li, added,
            Line.track(
                "u1", "Message Bounced", at: "2026-11-02T11:30:00+08:00",
                #"{"channel":"email","message_id":"\#(firstId)","type":"soft"}"#),
            Line.track(
                "u1", "Message Bounced", at: "2026-11-02T12:00:00+08:00",
                #"{"channel":"email","message_id":"\#(firstId)","type":"hard"}"#),
        ])
        let follow = try #require(records.sent.last, "\(records.map(\.jsonLine))")
        #expect(records.sent.count == 2)
        #expect(follow.fallbackOf == firstId)
        #expect(follow.channel == .sms)
        #expect(follow.sendAt == at("2026-11-02T12:00:00+08:00"))
    }

    @Test("a provider's failure report (Message Failed) of the first send brings the follow-up at once")
    func failed() throws {
        let f = Fixture(rules: fallbackRule(), config: config)
        let records = try f.run([
            li, added,
            Line.track(
                "u1", "Message Failed", at: "2026-11-02T11:05:00+08:00",
                #"{"channel":"email","message_id":"\#(firstId)"}"#),
        ])
        #expect(records.sent.last?.fallbackOf == firstId, "\(records.map(\.jsonLine))")
        #expect(records.sent.last?.sendAt == at("2026-11-02T11:05:00+08:00"))
    }

    @Test("cap reached: the follow-up is held back as frequency-cap")
    func capped() throws {
        let f = Fixture(
            rules: fallbackRule(),
            config:
                "default-timezone: Asia/Shanghai\nquiet-hours: \"21:00-08:00\"\nfrequency-cap: { max: 1, per: 7d }\n"
        )
        let records = try f.run([li, added])
        #expect(records.sent.count == 1)
        let held = try #require(records.held.first, "\(records.map(\.jsonLine))")
        #expect(held.reason == .frequencyCap)
        #expect(held.fallbackOf == firstId)
        #expect(held.messageId == StableID.fallback(of: firstId))
    }

    @Test("the rule's unless cancels the follow-up too: the customer ordered")
    func orderCancels() throws {
        let f = Fixture(rules: fallbackRule(), config: config)
        let records = try f.run([
            li, added, Line.track("u1", "Order Completed", at: "2026-11-02T18:00:00+08:00"),
        ])
        #expect(records.sent.count == 1)
        #expect(records.held.map(\.reason) == [.cancelled])
        #expect(records.held.first?.fallbackOf == firstId)
    }

    @Test("--explain tells the fallback's story")
    func explained() throws {
        let f = Fixture(rules: fallbackRule(), config: config)
        let (_, replay) = try f.replay([li, added], explain: "u1")
        let trace = replay.engine.trace.joined(separator: "\n")
        #expect(
            trace.contains("fallback of \(firstId) due 2026-11-03T11:00:00+08:00 unless answered"), "\(trace)"
        )
    }

    @Test("a fallback needs a second candidate channel")
    func needsTwoChannels() {
        let f = Fixture(
            rules: """
                rules:
                  - name: r
                    when: { event: E }
                    send: { template: cart, channels: [email], fallback: { after: 1d } }
                """, config: config)
        #expect(
            f.errors.map(\.description) == [
                "rules/test.yaml:4:58: error: 'fallback' needs a second candidate channel to fall back to; 'channels' lists one"
            ])
    }

    @Test("the README's fallback rule loads as written")
    func readmeRule() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let blocks = text.components(separatedBy: "```yaml\n").dropFirst().map {
            $0.components(separatedBy: "```")[0]
        }
        let yaml = try #require(blocks.first { $0.hasPrefix("rules:") && $0.contains("fallback:") })
        let (set, diagnostics) = RuleSet.parse(yaml: yaml, file: "rules/cart.yaml")
        #expect(diagnostics.filter { $0.severity == .error } == [])
        let fallback = try #require(set.rules.first?.send.fallback)
        #expect(fallback.after == TimeSpan(seconds: 86_400))
        #expect(fallback.unless == ["Message Opened", "Message Clicked"])
    }
}
