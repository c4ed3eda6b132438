import Templates
import TouchpointCore

extension MessageRecord {
    /// The dry-run JSON line (SPEC §6): every field present, `null` where not applicable, times in the
    /// customer's zone. Keys keep the SPEC's order so diffs of two runs read naturally.
    public var jsonLine: String {
        var bytes: [UInt8] = []
        writeJSONLine(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``jsonLine`` (without a line break) as UTF-8 to `out`, building no intermediate Strings.
    public func writeJSONLine(into out: inout [UInt8]) {
        JSONBytes.append("{\"decision\":", to: &out)
        JSONBytes.appendQuoted(decision.rawValue, to: &out)
        JSONBytes.append(",\"rule\":", to: &out)
        JSONBytes.appendQuoted(rule, to: &out)
        JSONBytes.append(",\"customer\":", to: &out)
        JSONBytes.appendQuoted(customer, to: &out)
        JSONBytes.append(",\"message_id\":", to: &out)
        JSONBytes.appendQuoted(messageId, to: &out)
        JSONBytes.append(",\"trigger\":{\"event\":", to: &out)
        JSONBytes.appendQuoted(triggerEvent, to: &out)
        JSONBytes.append(",\"message_id\":", to: &out)
        JSONBytes.appendQuoted(triggerMessageId, to: &out)
        JSONBytes.append(",\"timestamp\":", to: &out)
        JSONBytes.appendTime(triggerTimestamp.instant, in: zone, to: &out)
        JSONBytes.append("},\"due_at\":", to: &out)
        JSONBytes.appendTime(dueAt, in: zone, to: &out)
        JSONBytes.append(",\"send_at\":", to: &out)
        if let sendAt {
            JSONBytes.appendTime(sendAt, in: zone, to: &out)
        } else {
            JSONBytes.append("null", to: &out)
        }
        JSONBytes.append(",\"channel\":", to: &out)
        JSONBytes.appendQuoted(channel?.rawValue, to: &out)
        JSONBytes.append(",\"template\":", to: &out)
        JSONBytes.appendQuoted(template, to: &out)
        JSONBytes.append(",\"locale\":", to: &out)
        JSONBytes.appendQuoted(locale, to: &out)
        JSONBytes.append(",\"reason\":", to: &out)
        JSONBytes.appendQuoted(reason?.rawValue, to: &out)
        JSONBytes.append(",\"detail\":", to: &out)
        JSONBytes.appendQuoted(detail, to: &out)
        JSONBytes.append(",\"fallback_of\":", to: &out)
        JSONBytes.appendQuoted(fallbackOf, to: &out)
        JSONBytes.append(",\"why\":", to: &out)
        JSONBytes.appendValue(why, to: &out)
        JSONBytes.append(",\"content\":", to: &out)
        guard let content else {
            JSONBytes.append("null}", to: &out)
            return
        }
        JSONBytes.append("{\"subject\":", to: &out)
        JSONBytes.appendQuoted(content.subject, to: &out)
        JSONBytes.append(",\"preheader\":", to: &out)
        JSONBytes.appendQuoted(content.preheader, to: &out)
        JSONBytes.append(",\"text\":", to: &out)
        JSONBytes.appendQuoted(content.text, to: &out)
        JSONBytes.append(",\"html\":", to: &out)
        JSONBytes.appendQuoted(content.html, to: &out)
        JSONBytes.append(",\"buttons\":[", to: &out)
        for (i, button) in content.buttons.enumerated() {
            JSONBytes.append(i == 0 ? "{\"label\":" : ",{\"label\":", to: &out)
            JSONBytes.appendQuoted(button.label, to: &out)
            JSONBytes.append(",\"url\":", to: &out)
            JSONBytes.appendQuoted(button.url, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        JSONBytes.append("],\"segments\":", to: &out)
        if let sms = content.sms {
            JSONBytes.appendInteger(Int64(sms.segments), to: &out)
        } else {
            JSONBytes.append("null", to: &out)
        }
        JSONBytes.append(",\"encoding\":", to: &out)
        JSONBytes.appendQuoted(content.sms?.encoding.rawValue, to: &out)
        JSONBytes.append("}}", to: &out)
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
        if let fallbackOf { lines.append("    fallback of \(fallbackOf)") }
        if let content {
            if let subject = content.subject { lines.append("    Subject: \(subject)") }
            if let pre = content.preheader, !pre.isEmpty { lines.append("    Preheader: \(pre)") }
            let body = content.text.split(separator: "\n", omittingEmptySubsequences: false)
            for l in body.prefix(12) { lines.append("    │ " + l) }
            if body.count > 12 { lines.append("    │ … (\(body.count - 12) more lines)") }
            for b in content.buttons { lines.append("    [\(b.label)] → \(b.url)") }
            if let sms = content.sms {
                lines.append(
                    "    \(sms.encoding.rawValue), \(sms.segments) segment\(sms.segments == 1 ? "" : "s")")
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
        let w = s.unicodeScalars.reduce(0) {
            $0 + ($1.value >= 0x1100 && $1.properties.isIdeographic ? 2 : 1)
        }
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
