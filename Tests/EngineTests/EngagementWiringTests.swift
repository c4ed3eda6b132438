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
}
