import Engine
import Foundation
import Rules
import Testing
import TouchpointCore

private let rules = """
    rules:
      - name: news
        when: { event: Product Added }
        send: { template: plain, channels: [email] }
        holdout: 50%
      - name: receipt
        when: { event: Product Added }
        send: { template: hello, channels: [email] }
        transactional: true
        holdout: 50%
      - name: global
        when: { event: Product Added }
        send: { template: plain, channels: [sms] }
    """

@Suite("Holdout in the engine (SPEC §2 holdout)")
struct HoldoutEngineTests {
    private func lines(_ n: Int) -> [String] {
        (0..<n).flatMap { i in
            [
                Line.identify(
                    "c\(i)", at: "2026-11-02T09:00:00Z",
                    #"{"email":"c\#(i)@example.com","phone":"+8613800138\#(String(format: "%03d", i))","first_name":"A"}"#
                ),
                Line.track("c\(i)", "Product Added", at: "2026-11-02T10:00:00Z", id: "e-\(i)"),
            ]
        }
    }

    @Test(
        "a held-out customer's message is suppressed with reason holdout; transactional rules are never held out"
    )
    func heldOutAndTransactional() throws {
        let f = Fixture(
            rules: rules, config: "quiet-hours: none\nfrequency-cap: none\nholdout: 10%\n")
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run(lines(60))
        let holdout = Holdout()
        let ids = (0..<60).map { "c\($0)" }
        let expectedNews = Set(ids.filter { holdout.holdsOut($0, share: 0.5) })
        let expectedGlobal = Set(ids.filter { holdout.holdsOut($0, share: 0.1) })
        #expect(!expectedNews.isEmpty && expectedNews.count < 60)
        let news = records.filter { $0.rule == "news" }
        #expect(Set(news.held.map(\.customer)) == expectedNews)
        #expect(news.held.allSatisfy { $0.reason == .holdout && $0.content == nil && $0.sendAt == nil })
        #expect(news.held.allSatisfy { $0.detail?.contains("50 %") == true })
        #expect(Set(news.sent.map(\.customer)) == Set(ids).subtracting(expectedNews))
        let global = records.filter { $0.rule == "global" }
        #expect(Set(global.held.map(\.customer)) == expectedGlobal)
        let receipts = records.filter { $0.rule == "receipt" }
        #expect(receipts.sent.count == 60)
        #expect(receipts.held.isEmpty)
    }

    @Test("a rule's holdout: 0% opts it out of the config's holdout; a bad share names its place")
    func optOutAndErrors() throws {
        let f = Fixture(
            rules: """
                rules:
                  - name: news
                    when: { event: Product Added }
                    send: { template: plain, channels: [email] }
                    holdout: 0%
                """, config: "quiet-hours: none\nfrequency-cap: none\nholdout: 50%\n")
        let records = try f.run(lines(30))
        #expect(records.sent.count == 30)
        let bad = Fixture(
            rules: """
                rules:
                  - name: news
                    when: { event: Product Added }
                    send: { template: plain, channels: [email] }
                    holdout: 150%
                """)
        #expect(bad.errors.map(\.description).contains { $0.hasPrefix("rules/test.yaml:5:14: error:") })
    }
}

@Suite("Holdout and goal in rule files")
struct HoldoutLoadingTests {
    @Test(
        "a holdout on a transactional rule is a warning; a goal without 'within' or with a typo is an error with its place"
    )
    func diagnostics() {
        let f = Fixture(
            rules: """
                rules:
                  - name: receipt
                    when: { event: Order Completed }
                    send: { template: plain, channels: [email] }
                    transactional: true
                    holdout: 5%
                  - name: news
                    when: { event: Product Added }
                    send: { template: plain, channels: [email] }
                    goal: { event: Order Completed, witin: 7d }
                """)
        let all = f.project.diagnostics.map(\.description)
        #expect(
            all.contains { $0.hasPrefix("rules/test.yaml:6:14: warning:") && $0.contains("transactional") },
            "\(all)")
        #expect(all.contains { $0.contains("unknown key 'witin' in goal; did you mean 'within'?") }, "\(all)")
        #expect(all.contains { $0.contains("missing required key 'within' in goal") }, "\(all)")
    }
}
