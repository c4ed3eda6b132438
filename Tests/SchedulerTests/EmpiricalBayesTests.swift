import Foundation
import Testing
import TouchpointCore

@testable import Scheduler

@Suite("Empirical-Bayes channel prior")
struct EmpiricalBayesTests {
    let due = at("2026-11-20T10:00:00+08:00")

    /// A customer with `sends` daily email sends, the first `opened` of them opened.
    func member(_ i: Int, sends: Int, opened: Int) -> Customer {
        var c = customer()
        c = Customer(id: "u\(i)", traits: c.traits)
        for k in 0..<sends {
            let t = due - .days(Int64(sends - k))
            c.engagement.recordSend(.email, at: t)
            if k < opened { c.engagement.recordOpen(.email, at: t + .minutes(5)) }
        }
        return c
    }

    @Test("customers who all open half their mail get a strong prior")
    func alikeIsStrong() throws {
        let customers = (0..<40).map { member($0, sends: 10, opened: 5) }
        var population = PopulationStats()
        scheduler().fitChannelPriors(customers: customers, into: &population)
        // x(x-1)/n(n-1) = 20/90 < 0.25 = p̄²: no spread beyond the binomial noise, so the cap applies.
        #expect(try #require(population.fittedPriorStrength(.email)) == 200)
        #expect(population.fittedPriorStrength(.sms) == nil)
    }

    @Test("customers who open everything or nothing get a weak prior")
    func polarisedIsWeak() throws {
        let customers = (0..<40).map { member($0, sends: 10, opened: $0 % 2 == 0 ? 10 : 0) }
        var population = PopulationStats()
        scheduler().fitChannelPriors(customers: customers, into: &population)
        // p̄ = 0.5, E[p²] = 0.5, Var = 0.25: strength 0.25 / 0.25 − 1 = 0, clamped to 0.5.
        #expect(try #require(population.fittedPriorStrength(.email)) == 0.5)
    }

    @Test("a moderate spread gives the method-of-moments strength")
    func methodOfMoments() throws {
        // Half open 2 of 10, half 6 of 10: p̄ = 0.4; Σx(x−1)/Σn(n−1) = (2 + 30) / 180.
        let customers = (0..<40).map { member($0, sends: 10, opened: $0 % 2 == 0 ? 2 : 6) }
        var population = PopulationStats()
        scheduler().fitChannelPriors(customers: customers, into: &population)
        let spread = 32.0 / 180 - 0.16
        #expect(abs(try #require(population.fittedPriorStrength(.email)) - (0.24 / spread - 1)) < 1e-9)
    }

    @Test("too few customers keep the configured strength, and a fitted one changes the posterior")
    func fallbackAndUse() throws {
        var population = PopulationStats()
        scheduler().fitChannelPriors(
            customers: (0..<19).map { member($0, sends: 10, opened: 5) }, into: &population)
        #expect(population.fittedPriorStrength(.email) == nil)

        scheduler().fitChannelPriors(
            customers: (0..<40).map { member($0, sends: 10, opened: 5) }, into: &population)
        let d = scheduler(exploration: 0).decide(
            request(due: due), customer: member(99, sends: 2, opened: 2), ledger: SendLedger(),
            population: population)
        let e = try #require(d.explanation.channels.first)
        // α = fitted strength × the population rate + the customer's (decayed) responses.
        #expect(abs(e.alpha - (200 * e.populationRate + e.responses)) < 1e-9)
    }

    @Test("fitted strengths survive encoding, and older state without them still decodes")
    func codable() throws {
        var population = PopulationStats()
        scheduler().fitChannelPriors(
            customers: (0..<40).map { member($0, sends: 10, opened: 5) }, into: &population)
        let data = try JSONEncoder().encode(population)
        #expect(try JSONDecoder().decode(PopulationStats.self, from: data) == population)
        let old = try JSONEncoder().encode(PopulationStats())
        #expect(try JSONDecoder().decode(PopulationStats.self, from: old).fittedPriorStrength(.email) == nil)
    }

    @Test("the prior kept current event by event equals a full refit, and undoes itself exactly")
    func incremental() throws {
        var incremental = PopulationStats()
        var customers: [Customer] = []
        for i in 0..<40 {
            var c = Customer(id: "u\(i)", traits: customer().traits)
            for k in 0..<(3 + i % 7) {
                let t = due - .days(Int64(20 - k))
                var before = EngagementCounts(c.engagement)
                c.engagement.recordSend(.email, at: t)
                incremental.updatePrior(from: before, to: EngagementCounts(c.engagement))
                if (i + k) % 3 == 0 {
                    before = EngagementCounts(c.engagement)
                    c.engagement.recordOpen(.email, at: t + .minutes(5))
                    incremental.updatePrior(from: before, to: EngagementCounts(c.engagement))
                }
            }
            customers.append(c)
        }
        var batch = PopulationStats()
        scheduler().fitChannelPriors(customers: customers, into: &batch)
        let fitted = try #require(batch.fittedPriorStrength(.email))
        #expect(incremental.fittedPriorStrength(.email) == fitted)
        #expect(incremental == batch)
        // Removing every customer's contribution leaves nothing fitted.
        for c in customers {
            incremental.updatePrior(from: EngagementCounts(c.engagement), to: EngagementCounts(Engagement()))
        }
        #expect(incremental.fittedPriorStrength(.email) == nil)
    }
}
