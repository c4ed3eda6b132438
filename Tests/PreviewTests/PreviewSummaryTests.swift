import Engine
import Foundation
import Testing
import TouchpointCore

@testable import Preview

@Suite("Preview summary and chart")
struct PreviewSummaryTests {
    let records: [MessageRecord]

    init() throws { records = try Story.records() }

    @Test("counts sent per rule and channel, and held back per rule and reason")
    func countsPerRule() throws {
        let summary = PreviewSummary(records: records)
        let cart = try #require(summary.rules["cart-abandoned"])
        #expect(cart.sent == 3)
        #expect(cart.sentByChannel == [.email: 1, .sms: 1, .chat: 1])
        #expect(cart.suppressedByReason == ["cancelled": 1, "rule-limit": 1])
        #expect(cart.suppressed == 2)
        let thanks = try #require(summary.rules["thank-you"])
        #expect(thanks.sent == 1 && thanks.suppressed == 0)
        #expect(summary.sent == 4 && summary.suppressed == 2 && summary.recordCount == 6)
    }

    @Test("the table has a column for each reason that occurs and none for the others")
    func reasonColumns() {
        let page = PreviewPage.render(records: records, title: "t")
        #expect(page.contains(#"<th scope="col" class="held">cancelled</th>"#))
        #expect(page.contains(#"<th scope="col" class="held">rule-limit</th>"#))
        #expect(!page.contains(">frequency-cap</th>"))
        #expect(
            page.contains(
                #"<tr data-rule="cart-abandoned"><td>cart-abandoned</td><td>3</td><td>1</td><td>1</td><td>1</td><td class="held">1</td><td class="held">1</td><td class="held">2</td></tr>"#
            ))
        #expect(page.contains("<tfoot><tr><td>All rules</td><td>4</td>"))
    }

    @Test("the chart has one bar group per day, empty days included")
    func oneGroupPerDay() {
        let page = PreviewPage.render(records: records, title: "t")
        #expect(PageScan.count(#"<g class="day""#, in: page) == 3)
        for day in ["2026-11-02", "2026-11-03", "2026-11-04"] {
            #expect(page.contains(#"data-day="\#(day)""#))
        }
        #expect(page.contains("<title>2026-11-02: 3 (email 1, sms 1, chat 1)</title>"))
        #expect(page.contains("<title>2026-11-03: 0</title>"))
        #expect(PageScan.count(#"<rect class="bar""#, in: page) == 4)
        #expect(page.contains("by day of their send time in UTC"))
    }

    @Test("chart days follow the chart zone's calendar")
    func chartZoneDays() throws {
        // Sent at 11:00 +08:00 (03:00 UTC): the same date in Shanghai and UTC, the day before in Honolulu.
        let honolulu = try #require(Zone("Pacific/Honolulu"))
        let utc = PreviewSummary(records: records)
        let hawaii = PreviewSummary(records: records, chartZone: honolulu)
        let day = ISO8601.daysFromCivil(year: 2026, month: 11, day: 2)
        #expect(utc.days[day]?.values.reduce(0, +) == 3)
        #expect(hawaii.days[day - 1]?.values.reduce(0, +) == 3)
        #expect(PreviewPage.render(summary: hawaii, title: "t").contains("in Pacific/Honolulu"))
    }

    @Test("past the card limit, cards stop but the summary and chart count everything, with a note")
    func cardCap() {
        let summary = PreviewSummary(records: records, cardLimit: 2)
        #expect(summary.cards.count == 2)
        #expect(summary.omittedCards == 4)
        #expect(summary.sent == 4 && summary.suppressed == 2)
        let page = PreviewPage.render(summary: summary, title: "t")
        #expect(PageScan.count("<article class=\"card", in: page) == 2)
        #expect(
            page.contains(
                "Showing the first 2 of 6 messages; the per-rule summary and the chart above count all of them."
            ))
        #expect(page.contains("<tfoot><tr><td>All rules</td><td>4</td>"))
        #expect(!PreviewPage.render(records: records, title: "t").contains(#"id="cap-note""#))
    }

    @Test("records added without a card are counted but not shown")
    func countedNotShown() {
        var summary = PreviewSummary()
        for r in records { summary.add(r, card: r.decision == .send) }
        #expect(summary.cards.count == 4)
        #expect(summary.omittedCards == 0)
        #expect(summary.suppressed == 2)
        let page = PreviewPage.render(summary: summary, title: "t")
        #expect(!page.contains("card suppressed"))
        #expect(page.contains(">rule-limit</th>"))
    }

    @Test("a range of days longer than the chart can show keeps only days with messages")
    func sparseFarDays() throws {
        var lines = Story.lines
        lines.append(
            Line.identify(
                "u-far", at: "2028-01-01T09:00:00+08:00", #"{"email":"far@example.com","first_name":"Far"}"#))
        lines.append(Line.track("u-far", "Order Completed", at: "2028-01-01T10:00:00+08:00"))
        let fixture = Fixture(rules: Story.rules, templates: Story.templates)
        let page = PreviewPage.render(records: try fixture.run(lines), title: "t")
        #expect(PageScan.count(#"<g class="day""#, in: page) == 3)
        #expect(page.contains("only days with messages"))
    }

    @Test("numbers group thousands and gridline steps are round")
    func numbersAndTicks() {
        #expect(PreviewPage.number(0) == "0")
        #expect(PreviewPage.number(999) == "999")
        #expect(PreviewPage.number(1_000) == "1,000")
        #expect(PreviewPage.number(1_234_567) == "1,234,567")
        #expect(PreviewPage.tickStep(for: 0) == 1)
        #expect(PreviewPage.tickStep(for: 3) == 1)
        #expect(PreviewPage.tickStep(for: 9) == 5)
        #expect(PreviewPage.tickStep(for: 37) == 10)
        #expect(PreviewPage.tickStep(for: 1_000_000) == 500_000)
    }
}
