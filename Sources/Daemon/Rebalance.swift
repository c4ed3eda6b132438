import Store

/// How a cluster node moves towards an even share of the partitions: pure, from what a renewal read.
///
/// Every node computes the same targets from the same view: the live nodes in name order, `partitions / n`
/// each and one more for the first `partitions % n`. A node over its target hands back its highest partitions
/// (after committing them); a node under it takes free ones, lowest first. Nobody takes a partition another
/// live node holds, so there is no tug of war: a join shrinks the others' targets and they hand over, a leave or
/// a death frees partitions and the others' targets grow.
enum Rebalance {
    /// What a node does at one step.
    struct Plan: Sendable, Hashable {
        /// Partitions to hand back, highest first.
        var release: [Int] = []
        /// How many free partitions to take.
        var acquire = 0
    }

    /// Each live node's share (name → count).
    static func targets(live: [String], partitions: Int) -> [String: Int] {
        let sorted = live.sorted()
        guard !sorted.isEmpty else { return [:] }
        let base = partitions / sorted.count
        let extra = partitions % sorted.count
        var out: [String: Int] = [:]
        for (i, name) in sorted.enumerated() { out[name] = base + (i < extra ? 1 : 0) }
        return out
    }

    /// The step for `node`, holding `held`, in `view`.
    static func plan(view: ClusterView, node: String, held: Set<Int>) -> Plan {
        var live = view.liveNodes
        if !live.contains(node) { live.append(node) }
        let target = targets(live: live, partitions: view.leases.count)[node] ?? 0
        var plan = Plan()
        if held.count > target {
            plan.release = Array(held.sorted(by: >).prefix(held.count - target))
        } else if held.count < target {
            plan.acquire = min(target - held.count, view.free.count)
        }
        return plan
    }
}
