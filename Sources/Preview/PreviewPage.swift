import Engine
import TouchpointCore

/// The self-contained HTML page of a dry-run: every message as its reader would see it, a per-rule
/// summary and a per-day volume chart.
///
/// The page loads nothing from the network: styles and the filter script are inline, the chart is
/// inline SVG, and email bodies sit in sandboxed `srcdoc` frames whose Content-Security-Policy blocks
/// remote images and scripts. It reads fine with JavaScript off; the script only adds filters.
public enum PreviewPage {
    /// The page for `summary`: its counts, chart and kept cards.
    public static func render(summary: PreviewSummary, title: String) -> String {
        var html = ""
        html.reserveCapacity(64 * 1024 + summary.cards.count * 4096)
        html += """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(pageContentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            <style>\(stylesheet)</style>
            </head>
            <body>
            <header class="page-head">
            <h1>\(HTML.escape(title))</h1>
            <p class="totals">\(totals(summary))</p>
            <p class="note">Self-contained preview: this page fetches nothing from the network. Email bodies \
            are shown in sandboxed frames that block scripts and remote images \
            (<code>\(HTML.escape(EmailDocument.contentSecurityPolicy))</code>), so pictures hosted on a server \
            appear as empty boxes and links inside emails do not open.</p>
            </header>
            <main>

            """
        html += summarySection(summary)
        html += chartSection(summary)
        if !summary.goals.isEmpty { html += goalsSection(summary.goals) }
        html += cardsSection(summary)
        html += """
            </main>
            <script>\(filterScript)</script>
            </body>
            </html>

            """
        return html
    }

    /// The page for `records`, every one offered as a card (at most `cardLimit` shown).
    public static func render(
        records: some Sequence<MessageRecord>, title: String, cardLimit: Int = 2000, chartZone: Zone = .utc
    ) -> String {
        render(
            summary: PreviewSummary(records: records, cardLimit: cardLimit, chartZone: chartZone),
            title: title)
    }

    /// The outer page's own policy: only its inline style and script; frames inherit it.
    static let pageContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

    private static func totals(_ s: PreviewSummary) -> String {
        var parts = ["<strong>\(number(s.sent))</strong> would be sent"]
        parts.append("<strong>\(number(s.suppressed))</strong> held back")
        parts.append("\(number(s.rules.count)) rule\(s.rules.count == 1 ? "" : "s")")
        return parts.joined(separator: " · ")
    }

    /// `1234567` → `1,234,567`.
    static func number(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `instant` in `zone` as `2026-11-20 19:00 +08:00`.
    static func time(_ instant: Instant, in zone: Zone) -> String {
        let iso = zone.format(instant)
        guard iso.count >= 19 else { return iso }
        let date = iso.prefix(10)
        let clock = iso.dropFirst(11).prefix(5)
        var offset = String(iso.dropFirst(19))
        if offset.hasPrefix(".") {
            offset = String(offset.drop(while: { $0 != "+" && $0 != "-" && $0 != "Z" }))
        }
        return "\(date) \(clock) \(offset == "Z" ? "+00:00" : offset)"
    }

    /// `2026-11-02` for a day count since 1970-01-01.
    static func date(ofDay day: Int) -> String {
        let (y, m, d) = ISO8601.civilFromDays(day)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }
}
