import Foundation
import Scheduler
import TouchpointCore

/// The population's counts as decisions read them: a snapshot at each hour of event time
/// (``Scheduler/PopulationStats/freezeEvery``), and a decision made at time `t` reads the one taken at the start
/// of the hour before `t`'s.
///
/// A snapshot at hour boundary `B` holds everything applied and fired before `B` in event time: it is taken
/// just before the first event or timer at or after `B` is processed, once the watermark has passed `B` (or at
/// the end of the step that moved the watermark past it). Events and timers are processed in time order, so
/// the snapshot does not depend on `lateness`, on restarts, or on which thread decides which customers; and a
/// decision reads the hour *before* its own so that threads deciding different customers rarely wait for each
/// other (``PopulationBoard``). An event later than the lateness window reads the oldest snapshot still kept
/// (the one before the newest).
public struct PopulationSnapshots: Sendable, Codable {
    /// The newest hour (period number) whose snapshot is taken; `Int64.min` before any.
    public internal(set) var formed = Int64.min
    /// The last two snapshots: each covers the periods after the one before it up to its own.
    var older: Entry?
    var newest: Entry?

    struct Entry: Sendable, Codable {
        var period: Int64
        var stats: PopulationStats
    }

    public init() {}

    mutating func append(period: Int64, _ stats: PopulationStats) {
        older = newest
        newest = Entry(period: period, stats: stats)
        formed = period
    }

    /// The snapshot of period `j` (in `formed - 1 ... formed`).
    func stats(of j: Int64) -> PopulationStats {
        if let older, j <= older.period { return older.stats }
        return newest?.stats ?? PopulationStats()
    }

    /// The number of the `every`-long period `t` falls in (periods start at the epoch).
    static func period(of t: Instant, every: TimeSpan) -> Int64 {
        let ms = t.milliseconds
        let d = every.milliseconds
        return ms >= 0 ? ms / d : -((-(ms + 1)) / d) - 1
    }

    /// The period a decision at `t` reads: the one before `t`'s, kept within the two snapshots held.
    static func period(readAt t: Instant, formed: Int64, every: TimeSpan) -> Int64 {
        let own = period(of: t, every: every)
        return min(max(own - 1, formed - 1), formed)
    }
}

/// Where the workers of a ``PartitionedReplay`` leave their share of each hour's snapshot, and read the sum.
///
/// A worker posts its own customers' counts when it takes a snapshot; a decision that reads period `j` waits
/// until every worker has taken period `j`'s and reads the sum (integers: the same in any order, and the same
/// as one engine's snapshot of all customers). Decisions read the hour before their own, so a worker waits only
/// when another is more than an hour of event time behind it.
public final class PopulationBoard: @unchecked Sendable {
    private let condition = NSCondition()
    /// Per worker, its snapshots in period order (each covers the periods after the one before it).
    private var entries: [[PopulationSnapshots.Entry]]
    private var formed: [Int64]
    private var sums: [Int64: PopulationStats] = [:]

    public init(workers: Int) {
        entries = Array(repeating: [], count: workers)
        formed = Array(repeating: .min, count: workers)
    }

    func post(worker: Int, period: Int64, _ stats: PopulationStats) {
        condition.lock()
        entries[worker].append(PopulationSnapshots.Entry(period: period, stats: stats))
        formed[worker] = period
        condition.broadcast()
        condition.unlock()
    }

    /// The sum of every worker's snapshot of period `j`, once all have taken it.
    func sum(of j: Int64) -> PopulationStats {
        condition.lock()
        defer { condition.unlock() }
        while formed.contains(where: { $0 < j }) { condition.wait() }
        if let s = sums[j] { return s }
        var total = PopulationStats()
        for list in entries {
            if let e = list.first(where: { $0.period >= j }) { total = total.adding(e.stats) }
        }
        sums[j] = total
        // Nobody reads below the slowest worker's newest period minus one again.
        let floor = (formed.min() ?? .min) - 1
        for w in entries.indices {
            while entries[w].count > 1, entries[w][0].period < floor { entries[w].removeFirst() }
        }
        sums = sums.filter { $0.key >= floor }
        return total
    }
}
