import TouchpointCore

extension PreviewPage {
    /// Days spanning more than this are charted only where something is sent, so a stray far-off
    /// timestamp cannot turn the chart into thousands of empty slots.
    static let maximumContinuousDays = 400

    /// The per-day volume chart: one bar group per day (send time, on `chartZone`'s calendar), stacked by channel.
    static func chartSection(_ s: PreviewSummary) -> String {
        var html = "<section class=\"chart\" id=\"volume\">\n<h2>Messages per day</h2>\n"
        guard let first = s.days.keys.min(), let last = s.days.keys.max() else {
            return html
                + "<p class=\"empty\">No message would be sent, so there is nothing to chart.</p>\n</section>\n"
        }
        let continuous = last - first < maximumContinuousDays
        let days = continuous ? Array(first...last) : s.days.keys.sorted()
        let channels = s.channelsSeen.isEmpty ? Channel.allCases : s.channelsSeen
        html += "<div class=\"legend\">"
        for channel in channels {
            html += "<span><i style=\"background:\(colour(channel.rawValue))\"></i>\(channel.rawValue)</span>"
        }
        html += "</div>\n" + svg(days: days, counts: s.days, channels: channels) + "\n"
        let zoneName = s.chartZone.identifier
        var caption =
            "Messages that would be sent, by day of their send time in \(HTML.escape(zoneName)), stacked by channel"
        caption +=
            continuous ? "" : " (only days with messages: the range spans \(number(last - first + 1)) days)"
        caption += ". Held-back messages are not charted."
        if let peak = days.max(by: { total(s.days[$0]) < total(s.days[$1]) }) {
            caption +=
                " Busiest day: <strong>\(date(ofDay: peak))</strong>, \(number(total(s.days[peak]))) messages."
        }
        html += "<p class=\"caption\">\(caption)</p>\n</section>\n"
        return html
    }

    private static func total(_ counts: [Channel: Int]?) -> Int { counts?.values.reduce(0, +) ?? 0 }

    private static func svg(days: [Int], counts: [Int: [Channel: Int]], channels: [Channel]) -> String {
        let width = 960.0
        let height = 240.0
        let left = 44.0
        let right = 8.0
        let top = 18.0
        let bottom = 30.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let peak = days.map { total(counts[$0]) }.max() ?? 0
        let step = tickStep(for: peak)
        let ceiling = max(step, (peak + step - 1) / step * step)
        let slot = plotWidth / Double(days.count)
        let barWidth = min(40, max(1, slot * 0.72))
        let labelEvery = max(1, (days.count + 15) / 16)
        func y(_ value: Int) -> Double { top + plotHeight - Double(value) / Double(ceiling) * plotHeight }

        var svg =
            "<svg viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"Messages per day\" "
        svg += "font-size=\"11\" fill=\"#71717a\">"
        var tick = 0
        while tick <= ceiling {
            let ty = fmt(y(tick))
            svg +=
                "<line x1=\"\(fmt(left))\" x2=\"\(fmt(width - right))\" y1=\"\(ty)\" y2=\"\(ty)\" stroke=\"#e4e4e7\"/>"
            svg +=
                "<text x=\"\(fmt(left - 6))\" y=\"\(ty)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(number(tick))</text>"
            tick += step
        }
        for (index, day) in days.enumerated() {
            let dayCounts = counts[day] ?? [:]
            let slotX = left + Double(index) * slot
            let x = slotX + (slot - barWidth) / 2
            let label = date(ofDay: day)
            var tooltip = "\(label): \(number(total(dayCounts)))"
            let parts = channels.compactMap { c in dayCounts[c].map { "\(c.rawValue) \(number($0))" } }
            if !parts.isEmpty { tooltip += " (" + parts.joined(separator: ", ") + ")" }
            svg += "<g class=\"day\" data-day=\"\(label)\"><title>\(tooltip)</title>"
            svg +=
                "<rect x=\"\(fmt(slotX))\" y=\"\(fmt(top))\" width=\"\(fmt(slot))\" height=\"\(fmt(plotHeight))\" fill=\"transparent\"/>"
            var stacked = 0
            for channel in channels {
                guard let n = dayCounts[channel], n > 0 else { continue }
                let y0 = y(stacked + n)
                let y1 = y(stacked)
                svg +=
                    "<rect class=\"bar\" data-channel=\"\(channel.rawValue)\" x=\"\(fmt(x))\" y=\"\(fmt(y0))\" "
                svg +=
                    "width=\"\(fmt(barWidth))\" height=\"\(fmt(y1 - y0))\" fill=\"\(colour(channel.rawValue))\"/>"
                stacked += n
            }
            if stacked > 0, days.count <= 45 {
                svg +=
                    "<text x=\"\(fmt(x + barWidth / 2))\" y=\"\(fmt(y(stacked) - 4))\" text-anchor=\"middle\" "
                svg += "fill=\"#18181b\">\(number(stacked))</text>"
            }
            if index % labelEvery == 0 {
                svg +=
                    "<text x=\"\(fmt(slotX + slot / 2))\" y=\"\(fmt(height - 10))\" text-anchor=\"middle\">"
                svg += "\(label.dropFirst(5))</text>"
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// A round step (1, 2, 5 × 10ⁿ) giving at most five gridlines up to `peak`.
    static func tickStep(for peak: Int) -> Int {
        let wanted = max(1, (peak + 3) / 4)
        var magnitude = 1
        while true {
            for m in [1, 2, 5] where m * magnitude >= wanted { return m * magnitude }
            magnitude *= 10
        }
    }

    /// A coordinate with at most one decimal.
    private static func fmt(_ value: Double) -> String {
        let tenths = Int((abs(value) * 10).rounded())
        let sign = value < 0 && tenths > 0 ? "-" : ""
        return sign + (tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)")
    }
}
