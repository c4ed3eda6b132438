import Engine
import Foundation
import Rules
import Store
import Templates
import Testing
import TouchpointCore

/// What a reload does to pending messages, and `touchpoint plan --store` saying so beforehand.
@Suite("Reload semantics and plan --store")
struct ReloadPlanTests {
    static let rules = """
        rules:
          - name: later
            when: { event: Later Ping }
            wait: 1h
            send: { template: ping, channels: [chat] }
            transactional: true
          - name: steady
            when: { event: Later Ping }
            wait: 2h
            send: { template: ping, channels: [chat] }
            transactional: true
          - name: gone
            when: { event: Later Ping }
            wait: 3h
            send: { template: ping, channels: [chat] }
            transactional: true

        """

    private func project(_ rules: String) -> Project {
        let (config, _) = Config.parse(
            yaml: "quiet-hours: none\nfrequency-cap: none\n", path: "touchpoint.yaml")
        let (ruleSet, rd) = RuleSet.parse(yaml: rules, file: "rules/ping.yaml")
        let (templates, td) = TemplateSet.load(sources: ["ping/chat.mustache": "token"])
        return Project.assemble(config: config, ruleSet: ruleSet, templates: templates, diagnostics: rd + td)
    }

    /// Two customers with a pending message of each rule (none due yet).
    private func pendingStates() -> [String: CustomerState] {
        let p = project(Self.rules)
        var engine = Engine(book: p.book, templates: p.templates, settings: p.engineSettings())
        let t0 = Instant(milliseconds: 1_800_000_000_000)
        for (i, user) in ["a", "b"].enumerated() {
            let identify = Event(
                kind: .identify, userId: user, timestamp: Timestamp(instant: t0, offsetSeconds: 0),
                traits: ["chat_id": .string("c-\(user)")])
            _ = engine.apply(identify)
            let ping = Event(
                kind: .track, name: "Later Ping", userId: user, messageId: "e-\(i)",
                timestamp: Timestamp(instant: t0, offsetSeconds: 0))
            _ = engine.apply(ping)
        }
        return engine.allStates()
    }

    private var edited: String {
        Self.rules.replacingOccurrences(of: "wait: 1h", with: "wait: 90m")
            .replacingOccurrences(
                of: """
                      - name: gone
                        when: { event: Later Ping }
                        wait: 3h
                        send: { template: ping, channels: [chat] }
                        transactional: true

                    """, with: "")
    }

    @Test("a reload re-times waiting messages to the new wait, keeps the others, drops a removed rule's")
    func restoreRetimes() throws {
        let states = pendingStates()
        let next = project(edited)
        #expect(next.book.rules.count == 2)
        var engine = Engine(book: next.book, templates: next.templates, settings: next.engineSettings())
        engine.restore(globals: nil, customers: states)
        #expect(engine.stats.retimedOnRestore == 2)
        #expect(engine.stats.droppedOnRestore == 2)
        let due = engine.state(of: "a").pending.map {
            "\($0.rule) \($0.due.milliseconds - 1_800_000_000_000)"
        }
        #expect(due.sorted() == ["later 5400000", "steady 7200000"])
        let plan = ReloadPlan.classify(states, rules: next.ruleSet.rules)
        #expect(plan.kept == 2 && plan.retimed == 2 && plan.dropped == 2)
        #expect(plan.perRule["later"]! == (0, 2, 0))
        #expect(plan.perRule["gone"]! == (0, 0, 2))
    }

    @Test("plan --store counts kept, re-timed and dropped from a daemon's store")
    func planStore() async throws {
        let sandbox = try Sandbox(channels: "  chat: { kind: file, path: outbox }", rules: edited)
        defer { sandbox.remove() }
        let store = try sandbox.openStore()
        let encoder = JSONEncoder()
        var blobs: [String: Data] = [:]
        for (id, state) in pendingStates() { blobs[id] = try encoder.encode(state) }
        try await store.commit(Batch(customers: blobs))
        let r = try sandbox.touchpoint([
            "plan", "--store", sandbox.store.path, "--format", "table", "--detailed-exitcode",
        ])
        #expect(r.status == 2, "\(r.output)")
        #expect(
            r.output.contains(
                "Reload: of 6 pending message(s), 2 kept, 2 re-timed, 2 dropped (rule removed)."),
            "\(r.output)")
        #expect(r.output.contains("  gone: 0 kept, 0 re-timed, 2 dropped"))
        #expect(r.output.contains("  later: 0 kept, 2 re-timed, 0 dropped"))
        #expect(r.output.contains("  steady: 2 kept, 0 re-timed, 0 dropped"))
    }
}
