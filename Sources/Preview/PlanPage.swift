import Engine
import TouchpointCore

/// The side-by-side page of `touchpoint plan --html`: per rule, each changed message as the base sends it
/// and as the working rules send it. Self-contained, like the preview.
public enum PlanPage {
    /// The page for `plan`.
    public static func render(_ plan: Plan, title: String) -> String {
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(PreviewPage.pageContentSecurityPolicy)">
            <title>\(HTML.escape(title))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#18181b}
            table{border-collapse:collapse;width:100%;margin-bottom:24px}
            td,th{border:1px solid #e4e4e7;padding:6px 8px;vertical-align:top;text-align:left}
            .added{background:#f0fdf4}.removed{background:#fef2f2}pre{white-space:pre-wrap;margin:0}
            </style>
            </head>
            <body>
            <h1>\(HTML.escape(title))</h1>

            """
        if plan.isEmpty { html += "<p>No changes: the working rules send exactly what the base sends.</p>\n" }
        for rule in plan.rules {
            html +=
                "<h2>\(HTML.escape(rule.rule))</h2>\n<p>\(rule.count(.added)) added, \(rule.count(.removed)) removed, "
            html += "\(rule.count(.moved)) changed channel or time, \(rule.count(.content)) changed content; "
            html += "\(rule.customers.count) customers affected</p>\n"
            html +=
                "<table><thead><tr><th>Change</th><th>Customer</th><th>Base</th><th>Working tree</th></tr></thead><tbody>\n"
            for c in rule.changes {
                html +=
                    "<tr class=\"\(c.kind.rawValue)\"><td>\(c.kind.rawValue)</td><td>\(HTML.escape(c.customer))</td>"
                html += "<td>\(cell(c.base))</td><td>\(cell(c.head))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        return html + "</body>\n</html>\n"
    }

    private static func cell(_ r: MessageRecord?) -> String {
        guard let r else { return "—" }
        var s = "<strong>\(HTML.escape(r.channel?.rawValue ?? "-"))</strong> "
        s += HTML.escape(r.sendAt.map { r.zone.format($0) } ?? "-")
        if let subject = r.content?.subject { s += "<br>Subject: " + HTML.escape(subject) }
        if let text = r.content?.text { s += "<pre>\(HTML.escape(text))</pre>" }
        return s
    }
}
