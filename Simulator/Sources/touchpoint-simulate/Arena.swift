import Events
import Scheduler
import TouchpointCore

/// The scheduler's view of the world: customer profiles and population statistics built from events with
/// the same calls the engine makes (`Customer.apply` with the scheduler's engagement policy, the
/// `PopulationStats` record call for its effect — a first open credits its send's hour — and the per-event
/// empirical-Bayes update).
struct Arena {
    var customers: [Customer]
    var population = PopulationStats()
    /// Events not yet applied, per customer, in time order.
    private var queues: [[Event]]
    private var heads: [Int]
    let scheduler: Scheduler
    private let policy: EngagementPolicy
    /// Events applied so far.
    private(set) var applied = 0

    init(truths: [Truth], scheduler: Scheduler) {
        self.scheduler = scheduler
        policy = scheduler.settings.engagementPolicy
        customers = truths.map { Customer(id: $0.id, traits: History.traits($0)) }
        queues = Array(repeating: [], count: truths.count)
        heads = Array(repeating: 0, count: truths.count)
    }

    /// Queues events of customer `i`; they must be later than everything already applied.
    mutating func enqueue(_ i: Int, _ events: [Event]) {
        queues[i].removeFirst(heads[i])
        heads[i] = 0
        queues[i].append(contentsOf: events)
        queues[i].sort { $0.instant < $1.instant }
    }

    /// Applies customer `i`'s queued events up to and including `time`.
    mutating func catchUp(_ i: Int, to time: Instant) {
        while heads[i] < queues[i].count, queues[i][heads[i]].instant <= time {
            apply(i, queues[i][heads[i]])
            heads[i] += 1
        }
    }

    /// Applies every customer's queued events up to `time`.
    mutating func catchUpAll(to time: Instant) {
        for i in customers.indices { catchUp(i, to: time) }
    }

    private mutating func apply(_ i: Int, _ event: Event) {
        applied += 1
        let before = EngagementCounts(customers[i].engagement)
        let effect = customers[i].apply(event, policy: policy)
        let zone = scheduler.zone(for: customers[i])
        let t = event.instant
        let after = EngagementCounts(customers[i].engagement)
        if case .engagement = effect { population.updatePrior(from: before, to: after) }
        switch effect {
        case .engagement(.sent, let channel, _):
            population.recordSend(channel, at: t, zone: zone)
        case .engagement(.opened, let channel, _):
            // A first response moves the customer's response count; its send is the channel's last send.
            let sentAt = before != after ? customers[i].engagement.lastSend(channel) : nil
            population.recordOpen(channel, at: t, zone: zone, sentAt: sentAt)
        case .engagement(.clicked, let channel, _):
            let sentAt = before != after ? customers[i].engagement.lastSend(channel) : nil
            population.recordClick(channel, at: t, zone: zone, sentAt: sentAt)
        case .activity:
            population.recordActivity(at: t, zone: zone)
        default:
            break
        }
    }
}
