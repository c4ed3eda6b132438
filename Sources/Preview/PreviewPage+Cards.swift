import Engine
import Templates
import TouchpointCore

extension PreviewPage {
    /// The message cards in send (or due) time order, with the filters and the card-cap note.
    static func cardsSection(_ s: PreviewSummary) -> String {
        var html = "<section class=\"messages\" id=\"messages\">\n<h2>Messages</h2>\n"
        if s.omittedCards > 0 {
            let offered = s.cards.count + s.omittedCards
            html += "<p class=\"cap-note\" id=\"cap-note\">Showing the first \(number(s.cards.count)) of "
            html +=
                "\(number(offered)) messages; the per-rule summary and the chart above count all of them.</p>\n"
        }
        guard !s.cards.isEmpty else {
            return html + "<p class=\"empty\">No messages to show.</p>\n</section>\n"
        }
        html += filters(s.cards)
        html += "<div class=\"cards\">\n"
        let ordered = s.cards.enumerated().sorted { a, b in
            let ta = a.element.sendAt ?? a.element.dueAt
            let tb = b.element.sendAt ?? b.element.dueAt
            return ta != tb ? ta < tb : a.offset < b.offset
        }
        for (position, (_, record)) in ordered.enumerated() { html += card(record, position: position) }
        html += "</div>\n</section>\n"
        return html
    }

    private static func filters(_ cards: [MessageRecord]) -> String {
        let rules = Set(cards.map(\.rule)).sorted()
        let channels = Set(cards.compactMap(\.channel)).sorted()
        var html = "<div class=\"filters\" id=\"filters\" hidden>"
        html += "<label>Rule <select id=\"f-rule\"><option value=\"\">all</option>"
        for rule in rules { html += "<option>\(HTML.escape(rule))</option>" }
        html += "</select></label><label>Channel <select id=\"f-channel\"><option value=\"\">all</option>"
        for channel in channels { html += "<option>\(channel.rawValue)</option>" }
        html += "</select></label><label>Decision <select id=\"f-decision\"><option value=\"\">all</option>"
        html +=
            "<option value=\"send\">sent</option><option value=\"suppressed\">held back</option></select></label>"
        return html + "<span id=\"shown\"></span></div>\n"
    }

    /// Cards past this many load their email frames lazily: the first screens render at once (and in a
    /// full-page screenshot or print), while a page of thousands of emails stays light.
    static let eagerFrames = 40

    /// One message as its reader would see it, or a compact card for a held-back one. The head (who,
    /// when, which rule) sits beside the body (the message itself), so cards read as a timeline.
    static func card(_ r: MessageRecord, position: Int = 0) -> String {
        let channel = r.channel?.rawValue ?? ""
        var html = "<article class=\"card \(r.decision == .send ? channel : "suppressed")\" "
        html +=
            "data-rule=\"\(HTML.escape(r.rule))\" data-channel=\"\(channel)\" data-decision=\"\(r.decision.rawValue)\">\n"
        guard r.decision == .send, let content = r.content else {
            return html + heldBack(r) + "</article>\n"
        }
        let lang = HTML.languageTag(r.locale).map { " lang=\"\(HTML.escape($0))\"" } ?? ""
        var head = "<div class=\"card-head\">\n" + tags(r)
        var body = "<div class=\"card-body\">"
        switch content.channel {
        case .email:
            head += "<h3 class=\"subject\"\(lang)>\(HTML.escape(content.subject ?? "(no subject)"))</h3>\n"
            if let pre = content.preheader, !pre.isEmpty {
                head += "<p class=\"preheader\"\(lang)>\(HTML.escape(pre))</p>\n"
            }
            head += fields(r)
            if let document = content.html {
                let lazy = position >= eagerFrames ? " loading=\"lazy\"" : ""
                body += "<iframe class=\"email\" sandbox=\"\"\(lazy) referrerpolicy=\"no-referrer\" "
                body += "title=\"Email: \(HTML.escape(content.subject ?? ""))\" "
                body += "srcdoc=\"\(HTML.escape(EmailDocument.sealed(document)))\"></iframe>"
                head +=
                    "<details><summary>Plain-text part</summary><pre\(lang)>\(HTML.escape(content.text))</pre></details>\n"
            } else {
                body += "<pre class=\"text-body\"\(lang)>\(HTML.escape(content.text))</pre>"
            }
        case .sms:
            head += fields(r)
            let info = content.sms ?? SMSInfo.measure(content.text)
            body += "<div class=\"phone\"><p class=\"phone-top\">\(HTML.escape(r.customer))</p>"
            body += "<div class=\"bubble\"\(lang)>\(HTML.escape(content.text))</div></div>\n"
            let unitName = info.encoding == .gsm7 ? "septets" : "UTF-16 units"
            body += "<p class=\"sms-info\"><span class=\"badge encoding\">\(info.encoding.rawValue)</span> "
            body += "<span class=\"segments\">\(info.segments) segment\(info.segments == 1 ? "" : "s")</span>"
            body += " · \(number(info.units)) \(unitName)</p>"
        case .chat:
            head += fields(r)
            body += "<div class=\"chat-pane\"><div class=\"bubble\"\(lang)>\(HTML.escape(content.text))</div>"
            if !content.buttons.isEmpty {
                body += "<div class=\"buttons\">"
                for button in content.buttons { body += pill(button) }
                body += "</div>"
            }
            body += "</div>"
        }
        if !r.explanation.isEmpty {
            head += "<details><summary>Scheduling</summary><ul>"
            for line in r.explanation { head += "<li>\(HTML.escape(line))</li>" }
            head += "</ul></details>\n"
        }
        return html + head + "</div>\n" + body + "</div>\n</article>\n"
    }

    private static func tags(_ r: MessageRecord) -> String {
        let channel = r.channel?.rawValue ?? "none"
        var html =
            "<div class=\"tags\"><span class=\"chip\" style=\"background:\(colour(channel))\">\(channel)</span>"
        html += "<span class=\"rule\">\(HTML.escape(r.rule))</span>"
        if r.transactional { html += "<span class=\"badge\">transactional</span>" }
        return html + "</div>\n"
    }

    /// The header lines: recipient, send time in the customer's zone, trigger, template and locale, id.
    /// Each term and its value share a `<div>` (allowed in `<dl>`), so a held-back card can lay them out in a row.
    private static func fields(_ r: MessageRecord) -> String {
        func field(_ term: String, _ value: String) -> String {
            "<div><dt>\(term)</dt><dd>\(value)</dd></div>"
        }
        var html = "<dl class=\"fields\">" + field("To", HTML.escape(r.customer))
        if r.decision == .send {
            let when = r.sendAt ?? r.dueAt
            html += field(
                "Sends", "<time>\(time(when, in: r.zone))</time> · \(HTML.escape(r.zone.identifier))")
        } else {
            html += field(
                "Was due", "<time>\(time(r.dueAt, in: r.zone))</time> · \(HTML.escape(r.zone.identifier))")
            if let channel = r.channel { html += field("Channel", channel.rawValue) }
        }
        html += field(
            "Trigger", "\(HTML.escape(r.triggerEvent)) at \(time(r.triggerTimestamp.instant, in: r.zone))")
        html += field("Template", "\(HTML.escape(r.template)) · \(HTML.escape(r.locale ?? "default"))")
        html += field("Message", "<code>\(HTML.escape(r.messageId))</code>")
        if let first = r.fallbackOf { html += field("Fallback of", "<code>\(HTML.escape(first))</code>") }
        return html + "</dl>\n"
    }

    private static func heldBack(_ r: MessageRecord) -> String {
        var html = "<div class=\"card-head\">\n<div class=\"tags\"><span class=\"chip held\">held back</span>"
        html += "<span class=\"reason\">\(HTML.escape(r.reason?.rawValue ?? "unknown"))</span>"
        html += "<span class=\"rule\">\(HTML.escape(r.rule))</span></div>\n"
        html += fields(r)
        if let detail = r.detail { html += "<p class=\"detail\">\(HTML.escape(detail))</p>\n" }
        return html + "</div>\n"
    }

    /// A chat button as a pill link; a link with an unsafe scheme is shown, not linked.
    private static func pill(_ button: Button) -> String {
        let label = HTML.escape(button.label)
        let url = HTML.escape(button.url)
        guard HTML.isSafeLink(button.url) else {
            return "<span class=\"pill inert\" title=\"not linked: \(url)\">\(label)</span>"
        }
        return
            "<a class=\"pill\" href=\"\(url)\" title=\"\(url)\" target=\"_blank\" rel=\"noopener noreferrer\">\(label)</a>"
    }
}
