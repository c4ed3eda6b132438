import Templates
import Testing
import TouchpointCore

@testable import Engine

/// `writeJSONLine` writes bytes directly; these pin it to the String-built line it replaced.
@Suite("Dry-run JSON lines written as bytes")
struct JSONLineTests {
    /// The dry-run line as it was built before the byte writer (commit dff19f6), kept as the reference.
    static func referenceLine(_ r: MessageRecord) -> String {
        var o = OrderedJSON()
        o.add("decision", .string(r.decision.rawValue))
        o.add("rule", .string(r.rule))
        o.add("customer", .string(r.customer))
        o.add("message_id", .string(r.messageId))
        var t = OrderedJSON()
        t.add("event", .string(r.triggerEvent))
        t.add("message_id", r.triggerMessageId.map { .string($0) } ?? .null)
        t.add("timestamp", .string(r.zone.format(r.triggerTimestamp.instant)))
        o.addRaw("trigger", t.text)
        o.add("due_at", .string(r.zone.format(r.dueAt)))
        o.add("send_at", r.sendAt.map { .string(r.zone.format($0)) } ?? .null)
        o.add("channel", r.channel.map { .string($0.rawValue) } ?? .null)
        o.add("template", .string(r.template))
        o.add("locale", r.locale.map { .string($0) } ?? .null)
        o.add("reason", r.reason.map { .string($0.rawValue) } ?? .null)
        o.add("detail", r.detail.map { .string($0) } ?? .null)
        o.add("fallback_of", r.fallbackOf.map { .string($0) } ?? .null)
        o.add("why", r.why)
        if let content = r.content {
            var c = OrderedJSON()
            c.add("subject", content.subject.map { .string($0) } ?? .null)
            c.add("preheader", content.preheader.map { .string($0) } ?? .null)
            c.add("text", .string(content.text))
            c.add("html", content.html.map { .string($0) } ?? .null)
            c.add(
                "buttons",
                .array(content.buttons.map { ["label": .string($0.label), "url": .string($0.url)] }))
            c.add("segments", content.sms.map { .number(Double($0.segments)) } ?? .null)
            c.add("encoding", content.sms.map { .string($0.encoding.rawValue) } ?? .null)
            o.addRaw("content", c.text)
        } else {
            o.add("content", .null)
        }
        return o.text
    }

    static func record(
        zone: Zone = Zone("Asia/Shanghai")!, at ms: Int64 = 1_763_600_000_123,
        content: RenderedContent? = nil,
        text: String = "cart-abandoned"
    ) -> MessageRecord {
        MessageRecord(
            decision: content == nil ? .suppressed : .send, rule: text, customer: "u\(text)", messageId: "m1",
            triggerEvent: "Product Added", triggerMessageId: content == nil ? nil : "t-\(text)",
            triggerTimestamp: Timestamp(instant: Instant(milliseconds: ms), offsetSeconds: 0),
            dueAt: Instant(milliseconds: ms + 3_600_000),
            sendAt: content == nil ? nil : Instant(milliseconds: ms + 7_200_000),
            channel: content?.channel, template: "cart-reminder", locale: content == nil ? nil : "zh-CN",
            reason: content == nil ? .cancelled : nil, detail: content == nil ? "cancelled by \(text)" : nil,
            content: content, zone: zone, priority: 1, transactional: false,
            decidedAt: Instant(milliseconds: ms),
            explanation: [])
    }

    /// Strings that exercise every escape and several scripts.
    static let awkward = [
        "", "plain", "quote \" backslash \\ slash /", "nl\n cr\r tab\t", "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}",
        "line\u{2028}para\u{2029}end", "\u{E2}\u{80}", "€ “ ” — 中文 😀 👍🏽 e\u{301}", "\u{2027}\u{202A}",
    ]

    @Test("every escape and script: bytes equal the reference line")
    func escapes() {
        for s in Self.awkward {
            let content = RenderedContent(
                template: "t", channel: .email, locale: "zh-CN", subject: s, preheader: s, text: s, html: s)
            let send = Self.record(content: content, text: s)
            #expect(send.jsonLine == Self.referenceLine(send), "string: \(s.debugDescription)")
            let held = Self.record(text: s)
            #expect(held.jsonLine == Self.referenceLine(held), "string: \(s.debugDescription)")
        }
    }

    @Test("sms and chat content, nulls, buttons and segments match the reference")
    func channels() {
        let sms = RenderedContent(
            template: "t", channel: .sms, locale: nil, text: "您好", sms: SMSInfo.measure("您好"))
        let chat = RenderedContent(
            template: "t", channel: .chat, locale: nil, text: "hi",
            buttons: [
                Button(label: "Go \"now\"", url: "https://x.example/?a=1&b=2"), Button(label: "", url: ""),
            ])
        let empty = RenderedContent(template: "t", channel: .chat, locale: nil, text: "")
        for content in [sms, chat, empty] {
            let r = Self.record(content: content)
            #expect(r.jsonLine == Self.referenceLine(r))
        }
    }

    @Test("times: whole seconds, milliseconds, zones east and west, UTC, DST, far years")
    func times() {
        let zones = [
            "Asia/Shanghai", "America/New_York", "UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham",
        ]
        let instants: [Int64] = [
            0, 1_763_600_000_000, 1_763_600_000_001, 1_763_600_000_999, -1, -86_400_001, 1_710_054_000_000,
            253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_000, -62_167_219_200_001,
        ]
        for name in zones {
            let zone = Zone(name)!
            for ms in instants {
                let r = Self.record(
                    zone: zone, at: ms,
                    content: RenderedContent(template: "t", channel: .sms, locale: nil, text: ""))
                #expect(r.jsonLine == Self.referenceLine(r), "zone \(name), ms \(ms)")
            }
        }
    }

    @Test("numbers and nested values are written as JSONValue writes them")
    func values() {
        let values: [JSONValue] = [
            .null, true, false, 0, -0.0, 1, -12, 0.5, 1e15, 1e16, -1e300, .number(.nan), .number(.infinity),
            ["b": 1, "a": [1, "x", nil], "é": ["z": "\u{2028}"]], [],
        ]
        for v in values {
            var bytes: [UInt8] = []
            JSONBytes.appendValue(v, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == v.jsonText, "value: \(v)")
        }
    }
}
