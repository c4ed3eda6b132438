import Engine
import Foundation
import TouchpointCore

extension PreviewPage {
    /// The goals section: per rule with a goal, receivers' and holdout's conversion rates side by side with
    /// their 95 % intervals (Wilson, per group), and the uplift with its Newcombe interval.
    static func goalsSection(_ rows: [GoalReport.Row]) -> String {
        var html = "<section class=\"goals\" id=\"goals\">\n<h2>Goals: receivers against the holdout</h2>\n"
        html += "<table class=\"summary\">\n<thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Goal</th>"
        html += "<th scope=\"col\">Sent</th><th scope=\"col\">Opened</th><th scope=\"col\">Clicked</th>"
        html += "<th scope=\"col\">Receivers</th><th scope=\"col\">Converted</th>"
        html += "<th scope=\"col\">Holdout</th><th scope=\"col\">Converted</th>"
        html +=
            "<th scope=\"col\">Uplift (95 % interval)</th><th scope=\"col\">Revenue</th></tr></thead>\n<tbody>\n"
        for row in rows {
            let u = row.uplift
            var uplift = "-"
            if let d = u.difference, let i = u.interval {
                uplift = String(format: "%+.1f pp (%+.1f to %+.1f)", d * 100, i.lower * 100, i.upper * 100)
            }
            let revenue = [row.receiverRevenue, row.holdoutRevenue].map {
                $0.map { String(format: "%.2f", $0) } ?? "-"
            }
            html += "<tr data-rule=\"\(HTML.escape(row.rule))\"><td>\(HTML.escape(row.rule))</td>"
            html +=
                "<td>\(HTML.escape(row.goal.map { "\($0.event.value) within \($0.within)" } ?? "none"))</td>"
            html += [row.sent, row.opened, row.clicked, row.receivers].map { "<td>\(number($0))</td>" }
                .joined()
            html +=
                "<td>\(row.goal == nil ? "-" : "\(number(row.receiverConversions)) (\(GoalReport.percent(row.receiverRate)))")</td>"
            html += "<td>\(number(row.holdoutCustomers))</td>"
            html +=
                "<td>\(row.goal == nil ? "-" : "\(number(row.holdoutConversions)) (\(GoalReport.percent(row.holdoutRate)))")</td>"
            html += "<td>\(HTML.escape(row.goal == nil ? "-" : uplift))</td>"
            html += "<td>\(revenue[0]) / \(revenue[1])</td></tr>\n"
        }
        html += "</tbody>\n</table>\n"
        let charted = rows.filter { $0.goal != nil && ($0.receivers > 0 || $0.holdoutCustomers > 0) }
        if !charted.isEmpty { html += goalsChart(charted) + "\n" }
        html += "<p class=\"caption\">Conversion rate per group, with 95 % Wilson intervals as whiskers: "
        html +=
            "<span style=\"color:\(receiverColour)\">■</span> customers who received the rule's messages, "
        html +=
            "<span style=\"color:\(holdoutColour)\">■</span> customers held out of them. The uplift's interval is "
        html += "\(HTML.escape(Uplift.method)). Revenue is receivers / holdout.</p>\n</section>\n"
        return html
    }

    static let receiverColour = "#2563eb"
    static let holdoutColour = "#a1a1aa"

    /// Horizontal bars: two per rule, with whiskers for the intervals.
    static func goalsChart(_ rows: [GoalReport.Row]) -> String {
        let width = 960.0
        let left = 180.0
        let right = 60.0
        let band = 44.0
        let top = 10.0
        let height = top + band * Double(rows.count) + 24
        let peak =
            rows.flatMap { r in
                [
                    r.receivers > 0 ? Uplift.wilson(r.receiverConversions, r.receivers, z: 1.959964).1 : 0,
                    r.holdoutCustomers > 0
                        ? Uplift.wilson(r.holdoutConversions, r.holdoutCustomers, z: 1.959964).1 : 0,
                ]
            }.max() ?? 0
        let scale = max(0.01, peak)
        func x(_ rate: Double) -> Double { left + rate / scale * (width - left - right) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" "
        svg += "aria-label=\"Conversion rate, receivers against holdout\" font-size=\"11\" fill=\"#71717a\">"
        for (i, r) in rows.enumerated() {
            let y0 = top + band * Double(i)
            svg +=
                "<text x=\"\(f(left - 8))\" y=\"\(f(y0 + 20))\" text-anchor=\"end\">\(HTML.escape(r.rule))</text>"
            let groups = [
                (r.receiverConversions, r.receivers, receiverColour, 0.0),
                (r.holdoutConversions, r.holdoutCustomers, holdoutColour, 18.0),
            ]
            for (converted, total, colour, dy) in groups where total > 0 {
                let rate = Double(converted) / Double(total)
                let (lo, hi) = Uplift.wilson(converted, total, z: 1.959964)
                let y = y0 + dy + 4
                svg +=
                    "<rect x=\"\(f(left))\" y=\"\(f(y))\" width=\"\(f(max(0.5, x(rate) - left)))\" height=\"14\" "
                svg +=
                    "fill=\"\(colour)\"><title>\(converted)/\(total) = \(GoalReport.percent(rate))</title></rect>"
                svg += "<line x1=\"\(f(x(lo)))\" x2=\"\(f(x(hi)))\" y1=\"\(f(y + 7))\" y2=\"\(f(y + 7))\" "
                svg += "stroke=\"#18181b\" stroke-width=\"1.5\"/>"
                svg += "<text x=\"\(f(x(hi) + 4))\" y=\"\(f(y + 11))\">\(GoalReport.percent(rate))</text>"
            }
        }
        svg +=
            "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(height - 20))\" stroke=\"#d4d4d8\"/>"
        svg += "<text x=\"\(f(left))\" y=\"\(f(height - 6))\">0 %</text>"
        svg +=
            "<text x=\"\(f(width - right))\" y=\"\(f(height - 6))\" text-anchor=\"end\">\(GoalReport.percent(scale))</text>"
        return svg + "</svg>"
    }
}
