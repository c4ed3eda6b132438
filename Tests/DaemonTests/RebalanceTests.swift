import Store
import Testing
import TouchpointCore

@testable import Daemon

/// The cluster's rebalancing step (SPEC §10): even shares, no partition taken from a live holder.
@Suite("Rebalance")
struct RebalanceTests {
    static let now = Instant(milliseconds: 1_000_000)

    static func view(partitions: Int, owners: [Int: String], live: [String], dead: [String] = [])
        -> ClusterView
    {
        let nodes =
            live.map {
                ClusterNode(
                    name: $0, epoch: 1, state: .alive, host: "h", pid: 1, startedAt: now, renewedAt: now,
                    expiresAt: now + .minutes(1))
            }
            + dead.map {
                ClusterNode(
                    name: $0, epoch: 1, state: .alive, host: "h", pid: 1, startedAt: now, renewedAt: now,
                    expiresAt: Instant(milliseconds: now.milliseconds - 1))
            }
        let leases = (0..<partitions).map { p in
            let owner = owners[p]
            let expires = owner.map {
                dead.contains($0) ? Instant(milliseconds: now.milliseconds - 1) : now + .minutes(1)
            }
            return PartitionLease(
                partition: p, owner: owner, epoch: 1, acquiredAt: nil, renewedAt: nil,
                expiresAt: expires ?? Instant(milliseconds: 0))
        }
        return ClusterView(now: now, nodes: nodes, leases: leases)
    }

    @Test("shares differ by at most one and add up to the partition count")
    func evenShares() {
        #expect(Rebalance.targets(live: ["c", "a", "b"], partitions: 64) == ["a": 22, "b": 21, "c": 21])
        #expect(Rebalance.targets(live: ["a"], partitions: 64) == ["a": 64])
        #expect(Rebalance.targets(live: ["a", "b"], partitions: 3) == ["a": 2, "b": 1])
        #expect(Rebalance.targets(live: [], partitions: 8).isEmpty)
    }

    @Test(
        "a node joining a one-node cluster makes the holder hand back its highest partitions, and takes them")
    func joinSpreads() {
        let owners = Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, "a") })
        let v = Self.view(partitions: 8, owners: owners, live: ["a", "b"])
        #expect(
            Rebalance.plan(view: v, node: "a", held: Set(0..<8)) == .init(release: [7, 6, 5, 4], acquire: 0))
        // Nothing is free yet: b waits for a's hand-over rather than taking anything from a live holder.
        #expect(Rebalance.plan(view: v, node: "b", held: []) == .init(release: [], acquire: 0))
        var after = owners
        for p in 4..<8 { after[p] = nil }
        let v2 = Self.view(partitions: 8, owners: after, live: ["a", "b"])
        #expect(Rebalance.plan(view: v2, node: "b", held: []) == .init(release: [], acquire: 4))
        #expect(Rebalance.plan(view: v2, node: "a", held: Set(0..<4)) == .init())
    }

    @Test(
        "a dead node's partitions are free once its lease ran out, and the survivors' shares grow to take them"
    )
    func deathFrees() {
        var owners: [Int: String] = [:]
        for p in 0..<9 { owners[p] = ["a", "b", "c"][p % 3] }
        let v = Self.view(partitions: 9, owners: owners, live: ["a", "b"], dead: ["c"])
        #expect(v.free == [2, 5, 8])
        let a = Rebalance.plan(view: v, node: "a", held: [0, 3, 6])
        let b = Rebalance.plan(view: v, node: "b", held: [1, 4, 7])
        #expect(a.acquire + b.acquire == 3)
        #expect(a.release.isEmpty && b.release.isEmpty)
    }
}
