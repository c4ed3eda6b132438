import Engine
import Scheduler
import Testing
import TouchpointCore

@Suite("Engagement and the channel prior in the engine")
struct EngagementWiringTests {
    static let rules = """
        rules:
          - name: hello
            when: { event: Signed Up }
            send: { template: hello, channels: [email] }
        """

    /// 30 customers with three email sends each on 2–4 Nov (12:00Z, 20:00 in Shanghai), customer `i`
    /// opening `i % 4` of them (capped at three).
    static func history() -> [Event] {
        var out: [Event] = []
        for i in 0..<30 {
            out.append(
                EventDecoderShim.decode(
                    Line.identify("u\(i)", at: "2026-11-01T09:00:00Z", #"{"email":"x@example.com"}"#)))
            for day in 2...4 {
                out.append(
                    EventDecoderShim.decode(
                        Line.track(
                            "u\(i)", "Message Sent", at: "2026-11-0\(day)T12:00:00Z", #"{"channel":"email"}"#)
                    ))
                if day - 2 < i % 4 {
                    out.append(
                        EventDecoderShim.decode(
                            Line.track(
                                "u\(i)", "Message Opened", at: "2026-11-0\(day)T12:30:00Z",
                                #"{"channel":"email"}"#)))
                }
            }
        }
        return out
    }

    @Test("the engine keeps the empirical-Bayes prior current as events arrive, equal to a full refit")
    func priorFittedPerEvent() throws {
        let f = Fixture(rules: Self.rules)
        var engine = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        #expect(engine.population.fittedPriorStrength(.email) == nil)
        for e in Self.history() { _ = engine.apply(e) }
        let live = try #require(engine.population.fittedPriorStrength(.email))
        var refit = engine.population
        Scheduler(settings: SchedulerSettings()).fitChannelPriors(
            customers: engine.customers.values, into: &refit)
        #expect(refit.fittedPriorStrength(.email) == live)
        #expect(engine.population.fittedPriorStrength(.sms) == nil)
    }

    @Test("engagement is recorded in the customer's local hours, the default zone without a timezone trait")
    func localHours() throws {
        let f = Fixture(rules: Self.rules)
        var engine = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        for e in Self.history() { _ = engine.apply(e) }
        let c = try #require(engine.customers["u3"])
        let now = EventDecoderShim.decode(Line.track("u3", "Tick", at: "2026-11-05T00:00:00Z")).instant
        let sends = c.engagement.sendHours(.email, at: now)
        #expect(sends[20] > 2.9 && sends.reduce(0, +) == sends[20])
        #expect(c.engagement.counts(.email) == (sends: 3, responses: 3))
    }

    @Test("a first open credits its send's hour in the population; repeat and unmatched opens do not")
    func populationCreditsSendHour() {
        let f = Fixture(rules: Self.rules)
        var engine = Engine(
            book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        for e in Self.history() { _ = engine.apply(e) }
        let opens = engine.population.opens(.email)
        #expect(opens == (0..<30).map { min($0 % 4, 3) }.reduce(0, +))
        #expect(engine.population.responses(.email) == opens)
        // A second open of the same message, and an open with no send before it.
        _ = engine.apply(
            EventDecoderShim.decode(
                Line.track("u3", "Message Opened", at: "2026-11-04T13:00:00Z", #"{"channel":"email"}"#)))
        _ = engine.apply(
            EventDecoderShim.decode(
                Line.identify("new", at: "2026-11-04T13:00:00Z", #"{"email":"n@example.com"}"#)))
        _ = engine.apply(
            EventDecoderShim.decode(
                Line.track("new", "Message Opened", at: "2026-11-04T13:05:00Z", #"{"channel":"email"}"#)))
        #expect(engine.population.opens(.email) == opens + 2)
        #expect(engine.population.responses(.email) == opens)
    }

    @Test("a rule's urgency reaches the scheduler: without it the better hour tomorrow wins, with it today")
    func urgencyWired() throws {
        func lines() -> [String] {
            var out = [
                Line.identify(
                    "u1", at: "2026-10-01T00:00:00+08:00",
                    #"{"email":"a@example.com","first_name":"Li","timezone":"Asia/Shanghai"}"#)
            ]
            for day in 1...20 {
                for hour in [8, 9, 12, 15, 18, 20] {
                    let d = (day < 10 ? "0" : "") + String(day)
                    let h = (hour < 10 ? "0" : "") + String(hour)
                    out.append(
                        Line.track(
                            "u1", "Message Sent", at: "2026-10-\(d)T\(h):00:00+08:00", #"{"channel":"email"}"#
                        ))
                    if hour == 9 {
                        out.append(
                            Line.track(
                                "u1", "Message Opened", at: "2026-10-\(d)T09:04:00+08:00",
                                #"{"channel":"email"}"#))
                    }
                }
            }
            out.append(Line.track("u1", "Signed Up", at: "2026-11-20T12:00:00+08:00"))
            return out
        }
        func rules(_ urgency: String) -> String {
            """
            rules:
              - name: hello
                when: { event: Signed Up }
                send: { template: hello, channels: [email], within: 24h\(urgency) }
            """
        }
        let config = "default-timezone: Asia/Shanghai\nquiet-hours: \"21:00-08:00\"\n"
        let patient = try Fixture(rules: rules(""), config: config).run(lines()).sent
        let urgent = try Fixture(rules: rules(", urgency: 3h"), config: config).run(lines()).sent
        #expect(patient.first?.sendAt == ISO8601.parse("2026-11-21T09:00:00+08:00")?.instant)
        let today = try #require(urgent.first?.sendAt)
        #expect(today < ISO8601.parse("2026-11-20T21:00:00+08:00")!.instant)
        #expect(urgent.first?.why.objectValue?["urgency"]?.objectValue?["half_life_hours"] == .number(3))
    }
}
