import Templates
import TouchpointCore

extension MessageRecord {
    /// The dry-run JSON line (SPEC §6): every field present, `null` where not applicable, times in the
    /// customer's zone. Keys keep the SPEC's order so diffs of two runs read naturally.
    public var jsonLine: String {
        var o = OrderedJSON()
        o.add("decision", .string(decision.rawValue))
        o.add("rule", .string(rule))
        o.add("customer", .string(customer))
        o.add("message_id", .string(messageId))
        var t = OrderedJSON()
        t.add("event", .string(triggerEvent))
        t.add("message_id", triggerMessageId.map { .string($0) } ?? .null)
        t.add("timestamp", .string(zone.format(triggerTimestamp.instant)))
        o.addRaw("trigger", t.text)
        o.add("due_at", .string(zone.format(dueAt)))
        o.add("send_at", sendAt.map { .string(zone.format($0)) } ?? .null)
        o.add("channel", channel.map { .string($0.rawValue) } ?? .null)
        o.add("template", .string(template))
        o.add("locale", locale.map { .string($0) } ?? .null)
        o.add("reason", reason.map { .string($0.rawValue) } ?? .null)
        o.add("detail", detail.map { .string($0) } ?? .null)
        if let content {
            var c = OrderedJSON()
            c.add("subject", content.subject.map { .string($0) } ?? .null)
            c.add("preheader", content.preheader.map { .string($0) } ?? .null)
            c.add("text", .string(content.text))
            c.add("html", content.html.map { .string($0) } ?? .null)
            c.add("buttons", .array(content.buttons.map { ["label": .string($0.label), "url": .string($0.url)] }))
            c.add("segments", content.sms.map { .number(Double($0.segments)) } ?? .null)
            c.add("encoding", content.sms.map { .string($0.encoding.rawValue) } ?? .null)
            o.addRaw("content", c.text)
        } else {
            o.add("content", .null)
        }
        return o.text
    }

    /// A readable block for a terminal: a header line, then the content indented.
    public func tableBlock(explain: Bool = false) -> String {
        let when = sendAt ?? decidedAt
        var head = [
            Self.short(zone.format(when)), pad(rule, 20), pad(customer, 10), pad(channel?.rawValue ?? "-", 5),
        ]
        head.append(decision == .send ? "send" : "suppressed: \(reason?.rawValue ?? "?")")
        var lines = [head.joined(separator: "  ")]
        if let detail { lines.append("    (\(detail))") }
        if let content {
            if let subject = content.subject { lines.append("    Subject: \(subject)") }
            if let pre = content.preheader, !pre.isEmpty { lines.append("    Preheader: \(pre)") }
            let body = content.text.split(separator: "\n", omittingEmptySubsequences: false)
            for l in body.prefix(12) { lines.append("    │ " + l) }
            if body.count > 12 { lines.append("    │ … (\(body.count - 12) more lines)") }
            for b in content.buttons { lines.append("    [\(b.label)] → \(b.url)") }
            if let sms = content.sms {
                lines.append("    \(sms.encoding.rawValue), \(sms.segments) segment\(sms.segments == 1 ? "" : "s")")
            }
        }
        if explain { for l in explanation { lines.append("    · " + l) } }
        return lines.joined(separator: "\n")
    }

    /// `2026-11-20T19:00:00+08:00` → `2026-11-20 19:00 +08:00`.
    static func short(_ iso: String) -> String {
        guard iso.count >= 19 else { return iso }
        let date = iso.prefix(10)
        let time = iso.dropFirst(11).prefix(5)
        var zone = String(iso.dropFirst(19))
        if zone.hasPrefix(".") { zone = String(zone.drop(while: { $0 != "+" && $0 != "-" && $0 != "Z" })) }
        return "\(date) \(time) \(zone == "Z" ? "+00:00" : zone)"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        let w = s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 && $1.properties.isIdeographic ? 2 : 1) }
        return w >= width ? s : s + String(repeating: " ", count: width - w)
    }
}

/// A JSON object writer that keeps insertion order.
struct OrderedJSON {
    private var parts: [String] = []

    mutating func add(_ key: String, _ value: JSONValue) {
        var s = ""
        JSONValue.writeQuoted(key, to: &s)
        s += ":"
        value.write(to: &s)
        parts.append(s)
    }

    mutating func addRaw(_ key: String, _ json: String) {
        var s = ""
        JSONValue.writeQuoted(key, to: &s)
        parts.append(s + ":" + json)
    }

    var text: String { "{" + parts.joined(separator: ",") + "}" }
}
