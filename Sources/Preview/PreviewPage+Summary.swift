import TouchpointCore

extension PreviewPage {
    /// The per-rule table: sent (and per channel), then one column per suppression reason that occurs.
    static func summarySection(_ s: PreviewSummary) -> String {
        var html = "<section class=\"rules\" id=\"summary\">\n<h2>Per rule</h2>\n"
        guard !s.rules.isEmpty else {
            return html
                + "<p class=\"empty\">No rule fired: nothing would be sent or held back.</p>\n</section>\n"
        }
        let channels = s.channelsSeen
        let reasons = s.reasonsSeen
        html += "<table class=\"summary\">\n<thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Sent</th>"
        for channel in channels { html += "<th scope=\"col\">\(channel.rawValue)</th>" }
        for reason in reasons { html += "<th scope=\"col\" class=\"held\">\(HTML.escape(reason))</th>" }
        html += "<th scope=\"col\">Held back</th></tr></thead>\n<tbody>\n"
        var total = PreviewSummary.RuleTally()
        for (name, tally) in s.rules.sorted(by: { $0.key < $1.key }) {
            html += "<tr data-rule=\"\(HTML.escape(name))\"><td>\(HTML.escape(name))</td>"
            html += row(tally, channels: channels, reasons: reasons)
            html += "</tr>\n"
            total.sent += tally.sent
            for (c, n) in tally.sentByChannel { total.sentByChannel[c, default: 0] += n }
            for (r, n) in tally.suppressedByReason { total.suppressedByReason[r, default: 0] += n }
        }
        html += "</tbody>\n<tfoot><tr><td>All rules</td>" + row(total, channels: channels, reasons: reasons)
        html += "</tr></tfoot>\n</table>\n</section>\n"
        return html
    }

    private static func row(_ tally: PreviewSummary.RuleTally, channels: [Channel], reasons: [String])
        -> String
    {
        var html = cell(tally.sent)
        for channel in channels { html += cell(tally.sentByChannel[channel] ?? 0) }
        for reason in reasons { html += cell(tally.suppressedByReason[reason] ?? 0, held: true) }
        return html + cell(tally.suppressed, held: true)
    }

    /// A number cell; zeros fade so the eye finds the counts that matter.
    private static func cell(_ n: Int, held: Bool = false) -> String {
        if n == 0 { return "<td class=\"zero\">0</td>" }
        return held ? "<td class=\"held\">\(number(n))</td>" : "<td>\(number(n))</td>"
    }
}
