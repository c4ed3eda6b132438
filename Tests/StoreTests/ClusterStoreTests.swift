import Foundation
import PostgresTestSupport
import Store
import Testing
import TouchpointCore

/// The PostgreSQL store's cluster side (SPEC §10): leases with epochs as fencing tokens, the shared outbox,
/// dead nodes' sends, per-partition state. Two `PostgresStore`s on one database are two nodes.
@Suite(
    "Cluster store (PostgreSQL)", .enabled(if: TestPostgres.available != nil, "PostgreSQL is not installed"))
struct ClusterStoreTests {
    static func settings(_ node: String, partitions: Int = 4, lease: Int64 = 60_000)
        -> PostgresStore.ClusterSettings
    {
        PostgresStore.ClusterSettings(partitions: partitions, node: node, leaseMilliseconds: lease)
    }

    /// Two (or more) nodes on one fresh database.
    static func withNodes(
        _ names: [String], partitions: Int = 4, lease: Int64 = 60_000,
        _ body: ([PostgresStore], String) async throws -> Void
    ) async throws {
        let server = try #require(TestPostgres.available)
        let database = try await server.createDatabase()
        var stores: [PostgresStore] = []
        do {
            for name in names {
                let store = try await PostgresStore.open(
                    server.options(database: database),
                    cluster: settings(name, partitions: partitions, lease: lease))
                try await store.join(host: "test", pid: 1)
                stores.append(store)
            }
            try await body(stores, database)
        } catch {
            for s in stores { await s.close() }
            await server.dropDatabase(database)
            throw error
        }
        for s in stores { await s.close() }
        await server.dropDatabase(database)
    }

    /// A customer id whose partition (of `partitions`) is `p`.
    static func customer(in p: Int, of partitions: Int = 4) -> String {
        let partitioner = Partitioner(count: partitions)
        return (0...).lazy.map { "u\($0)" }.first { partitioner.partition(of: $0) == p }!
    }

    @Test("the partition of a userId is FNV-1a-64 of its UTF-8 bytes, shifted right once, modulo the count")
    func stableHash() {
        // Pinned against Python: the same on every node, platform and version.
        #expect(Partitioner.keyHash("a") == 6_319_093_600_277_820_998)
        #expect(Partitioner.keyHash("u42") == 2_780_887_611_961_778_221)
        #expect(Partitioner(count: 64).partition(of: "u42") == 45)
        #expect(Partitioner(count: 64).partition(of: "user-1") == 42)
        #expect(Partitioner(count: 64).partition(of: "雷") == 7)
        #expect(Partitioner(count: 1).partition(of: "anyone") == 0)
    }

    @Test("a commit under an epoch the node no longer holds is refused whole; the new holder's goes through")
    func staleCommitRefused() async throws {
        try await Self.withNodes(["a", "b"]) { nodes, _ in
            let (a, b) = (nodes[0], nodes[1])
            let takenByA = try await a.acquire(count: 4)
            #expect(takenByA.count == 4)
            let u = Self.customer(in: 2)
            var batch = Batch(
                customers: [u: blob("a's state")], outbox: [row("m-a", sendAt: 1_000)], eventsApplied: 1)
            batch.outbox[0].customer = u
            batch.fence = [2: takenByA[2]!]
            batch.partitionOffsets = [
                2: [FileOffset(path: "e.jsonl", offset: 10, line: 1, inode: 1, size: 10)]
            ]
            try await a.commit(batch)

            // a hands partition 2 over; b takes it under a new epoch.
            #expect(try await a.release([2: takenByA[2]!], reason: "test") == [2])
            let takenByB = try await b.acquire(count: 1)
            #expect(takenByB.keys.sorted() == [2])
            #expect(takenByB[2]! > takenByA[2]!)

            // a, unaware, commits more of partition 2 under its old epoch: refused, nothing written.
            var stale = Batch(customers: [u: blob("a's stale state")], eventsApplied: 1)
            stale.fence = [2: takenByA[2]!]
            stale.partitionOffsets = [
                2: [FileOffset(path: "e.jsonl", offset: 20, line: 2, inode: 1, size: 20)]
            ]
            await #expect(throws: StoreError.self) { try await a.commit(stale) }
            do {
                try await a.commit(stale)
            } catch let StoreError.fenced(why) {
                #expect(why.contains("partition 2 is held by b"))
            }
            let loaded = try await b.loadPartitions([2])
            #expect(loaded[2]?.customers == [u: blob("a's state")])
            #expect(loaded[2]?.offsets["e.jsonl"]?.offset == 10)

            // b's commit under its own epoch goes through.
            var fresh = Batch(customers: [u: blob("b's state")], eventsApplied: 1)
            fresh.fence = [2: takenByB[2]!]
            try await b.commit(fresh)
            #expect(try await b.loadPartitions([2])[2]?.customers == [u: blob("b's state")])
            let refusals = try await b.clusterLog(kind: "refused-commit")
            #expect(refusals.count == 2)
            #expect(refusals.allSatisfy { $0.node == "a" })
        }
    }

    @Test(
        "a batch holding a customer of a partition it is not fenced for is refused before anything is written"
    )
    func unfencedPartitionRefused() async throws {
        try await Self.withNodes(["a"]) { nodes, _ in
            let taken = try await nodes[0].acquire(count: 4)
            var batch = Batch(customers: [Self.customer(in: 1): blob("x")])
            batch.fence = [0: taken[0]!]
            await #expect(throws: StoreError.self) { try await nodes[0].commit(batch) }
            #expect(try await nodes[0].load().customers.isEmpty)
        }
    }

    @Test("a lease that runs out can be taken by another node; the old holder's renewal is then refused")
    func expiredLeaseTakenOver() async throws {
        try await Self.withNodes(["a", "b"], lease: 5_000) { nodes, _ in
            let (a, b) = (nodes[0], nodes[1])
            let held = try await a.acquire(count: 4)
            #expect(try await b.acquire(count: 4).isEmpty)  // all held
            // b keeps renewing; a does not, and its leases run out.
            var takenByB: [Int: Int64] = [:]
            try await eventually(seconds: 20) {
                _ = try await b.renew(held: takenByB)
                takenByB.merge(try await b.acquire(count: 4 - takenByB.count)) { $1 }
                return takenByB.count == 4
            }
            await #expect(throws: StoreError.self) { _ = try await a.renew(held: held) }
            #expect(try await b.clusterLog(kind: "refused-renewal").map(\.node) == ["a"])
        }
    }

    @Test(
        "a node whose lease ran out is declared dead by another: its sends in flight are settled and its late outcomes refused"
    )
    func deadNodeFenced() async throws {
        try await Self.withNodes(["a", "b"], lease: 5_000) { nodes, _ in
            let (a, b) = (nodes[0], nodes[1])
            var rows = Batch(outbox: [row("h1"), row("h2"), row("s1", kind: "smtp", channel: "email")])
            rows.fence = try await a.acquire(count: 4)
            try await a.commit(rows)
            let cycle = try await a.settleAndClaim(
                [], now: t(1_000), limit: 10, leaseOwner: "a", excludingChannels: [])
            #expect(cycle.claimed.count == 3)
            var swept: [(node: String, RecoveryReport)] = []
            try await eventually(seconds: 20) {
                _ = try await b.renew(held: [:])
                swept += try await b.sweepDeadNodes(resendable: ["webhook"], at: t(2_000))
                return !swept.isEmpty
            }
            #expect(swept.map(\.node) == ["a"])
            #expect(swept.first?.1.requeued == ["h1", "h2"])
            #expect(swept.first?.1.unknown == ["s1"])
            // a wakes up and reports what it sent: refused, the rows stay as the sweep left them.
            await #expect(throws: StoreError.self) {
                _ = try await a.settleAndClaim(
                    [
                        SettledAttempt(
                            messageId: "h1", outcome: .delivered(providerId: nil, answer: "200"), at: t(2_500)
                        )
                    ],
                    now: t(2_500), limit: 5, leaseOwner: "a", excludingChannels: [])
            }
            #expect(try await b.outboxRow(messageId: "h1")?.state == .pending)
            #expect(try await b.attempts(messageId: "h1").map(\.outcome) == [AttemptRecord.interrupted])
            // b re-sends them under the same id.
            let again = try await b.claimDue(now: t(3_000), limit: 10, leaseOwner: "b")
            #expect(again.map(\.messageId) == ["h1", "h2"])
            #expect(again.map(\.attempts) == [2, 2])
            let log = try await b.clusterStatus().log
            #expect(log.contains { $0.kind == "declared-dead" && $0.detail.hasPrefix("a ") })
            #expect(log.contains { $0.kind == "refused-outcome" && $0.node == "a" })
        }
    }

    @Test("two nodes claiming at once never claim the same row (FOR UPDATE SKIP LOCKED)")
    func concurrentClaimsDisjoint() async throws {
        try await Self.withNodes(["a", "b"]) { nodes, _ in
            var rows = Batch(outbox: (0..<300).map { row(String(format: "m%03d", $0)) })
            rows.fence = try await nodes[0].acquire(count: 4)
            try await nodes[0].commit(rows)
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for node in nodes {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let got = try await node.claimDue(now: t(5_000), limit: 7, leaseOwner: "x")
                            if got.isEmpty { return mine }
                            mine += got.map(\.messageId)
                        }
                    }
                }
                var all: [[String]] = []
                for try await c in group { all.append(c) }
                return all
            }
            let flat = claims.flatMap { $0 }
            #expect(flat.count == 300)
            #expect(Set(flat).count == 300)
        }
    }

    @Test(
        "a node restarted under its name takes its row over under a new epoch; the old incarnation is fenced")
    func restartedNodeFencesItsPast() async throws {
        try await Self.withNodes(["a"]) { nodes, database in
            let old = nodes[0]
            let held = try await old.acquire(count: 4)
            var rows = Batch(outbox: [row("h1")])
            rows.fence = held
            try await old.commit(rows)
            _ = try await old.claimDue(now: t(1_000), limit: 1, leaseOwner: "a")
            let server = try #require(TestPostgres.available)
            let new = try await PostgresStore.open(
                server.options(database: database), cluster: Self.settings("a"))
            defer { Task { await new.close() } }
            let epoch = try await new.join(host: "test", pid: 2)
            #expect(epoch == 2)
            #expect(try await new.recoverInFlight(resendable: ["webhook"], at: t(2_000)).requeued == ["h1"])
            // What the old incarnation held is free again (its state went with it).
            #expect(try await new.clusterStatus().view.held(by: "a").isEmpty)
            await #expect(throws: StoreError.self) { _ = try await old.renew(held: held) }
            await #expect(throws: StoreError.self) {
                _ = try await old.claimDue(now: t(3_000), limit: 1, leaseOwner: "a")
            }
        }
    }

    @Test("a leaving node hands every partition back at once and is marked left")
    func leaveHandsOver() async throws {
        try await Self.withNodes(["a", "b"]) { nodes, _ in
            let held = try await nodes[0].acquire(count: 4)
            try await nodes[0].leave(held: held)
            let view = try await nodes[1].renew(held: [:])
            #expect(view.free == [0, 1, 2, 3])
            #expect(view.liveNodes == ["b"])
            #expect(view.nodes.first { $0.name == "a" }?.state == .left)
            #expect(try await nodes[1].acquire(count: 4).count == 4)
        }
    }

    @Test("the partition count is fixed when the cluster store is first used")
    func partitionCountFixed() async throws {
        try await Self.withNodes(["a"], partitions: 4) { _, database in
            let server = try #require(TestPostgres.available)
            await #expect(throws: StoreError.self) {
                let other = try await PostgresStore.open(
                    server.options(database: database), cluster: Self.settings("b", partitions: 8))
                await other.close()
            }
        }
    }

    @Test(
        "a store a single daemon used becomes a cluster store with its customers partitioned and its offsets given to every partition"
    )
    func singleToCluster() async throws {
        let server = try #require(TestPostgres.available)
        try await server.withStore { single, database in
            let u = Self.customer(in: 3)
            try await single.commit(
                Batch(
                    customers: [u: blob("s")],
                    offsets: [FileOffset(path: "e.jsonl", offset: 99, line: 9, inode: 5, size: 99)]))
            let node = try await PostgresStore.open(
                server.options(database: database), cluster: Self.settings("a"))
            defer { Task { await node.close() } }
            let loaded = try await node.loadPartitions([0, 3])
            #expect(loaded[3]?.customers == [u: blob("s")])
            #expect(loaded[0]?.customers.isEmpty == true)
            #expect(loaded[0]?.offsets["e.jsonl"]?.offset == 99)
            #expect(loaded[3]?.offsets["e.jsonl"]?.line == 9)
        }
    }

    @Test("without a cluster, a second daemon on the same database is refused while the first holds it")
    func singleDaemonLock() async throws {
        let server = try #require(TestPostgres.available)
        try await server.withStore { first, database in
            let options = server.options(database: database)
            try await first.lockSingleDaemon(options: options, owner: "one")
            let second = try await PostgresStore.open(options)
            do {
                try await second.lockSingleDaemon(options: options, owner: "two")
                Issue.record("the second daemon took the lock")
            } catch let StoreError.inUse(why) {
                #expect(why.contains("in use by another touchpoint run"))
            }
            await first.close()
            try await eventually(seconds: 10) {
                do {
                    try await second.lockSingleDaemon(options: options, owner: "two")
                    return true
                } catch StoreError.inUse { return false }
            }
            await second.close()
        }
    }

    @Test("a fresh database gets every migration once; opening it again applies nothing and keeps the data")
    func migrationsOnce() async throws {
        let server = try #require(TestPostgres.available)
        try await server.withStore { store, database in
            #expect(try await store.appliedMigrations() == ["v1", "cluster", "paused-rules"])
            try await store.commit(Batch(customers: ["u": blob("kept")]))
            let again = try await PostgresStore.open(server.options(database: database))
            #expect(try await again.appliedMigrations() == ["v1", "cluster", "paused-rules"])
            #expect(try await again.load().customers == ["u": blob("kept")])
            await again.close()
        }
    }
}

/// Polls `condition` until it holds (or `seconds` pass); the last answer.
@discardableResult
func eventually(seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    let last = try await condition()
    #expect(last, "condition not met within \(seconds) s")
    return last
}
