import Foundation
import PostgresTestSupport
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// A node paused past its lease and then continued must stop on its own, non-zero, saying why, whichever of its
    /// writes the store refuses first (the renewal, an outcome or claim, a batch). The crash test covers the same
    /// under load; this one repeats it on a single node so the refused renewal comes first in some rounds.
    @Suite(
        "A cluster node that lost its lease exits (SPEC §10)", .serialized,
        .enabled(if: TestPostgres.available != nil, "PostgreSQL is not installed"))
    struct LeaseLossClusterTests {
        @Test(
            "paused past its lease, declared dead and its partitions taken by another node, a resumed node exits non-zero with a log line saying why"
        )
        func resumedNodeExits() async throws {
            let partitions = 4
            let leaseMilliseconds: Int64 = 3_000
            let cluster = try await ClusterBox(
                channels: "  chat: { kind: file, path: outbox }", partitions: partitions, lease: "3s")
            let feed = try OrderFeed(cluster.box)
            let server = try #require(TestPostgres.available)
            // Rounds alternate between an idle node (its renewal and its dispatcher's claim race to be refused
            // first) and a busy one (new lines while it is paused: a batch of them is refused too).
            let rounds = Int(ProcessInfo.processInfo.environment["TP_LEASE_LOSS_ROUNDS"] ?? "") ?? 4
            var seenRefusals = 0
            for round in 0..<rounds {
                let busy = round % 2 == 1
                let node = try cluster.box.startDaemon(
                    arguments: ["--log-level", "debug"],
                    environment: ["TP_NODE": "a", "PGPASSWORD": cluster.server.password],
                    log: "a-\(round).log")
                defer { node.kill9() }
                try await node.running()
                let holdsAll = try await eventuallyAsync(within: 60) {
                    try await cluster.shares() == ["a": partitions]
                }
                let shares = try await cluster.shares()
                #expect(holdsAll, "round \(round): a never took every partition: \(shares)")
                if busy { try feed.orders(30) }
                try await Task.sleep(nanoseconds: 500_000_000)
                node.signal(SIGSTOP)
                if busy { try feed.orders(30) }
                // Past its lease (twice, so the server also ends its sessions left inside a transaction).
                try await Task.sleep(nanoseconds: UInt64(2 * leaseMilliseconds) * 1_000_000)
                let (other, taken) = try await takeOver(
                    cluster, server: server, partitions: partitions, round: round)
                node.signal(SIGCONT)
                let exit = await node.waitForExit(seconds: 120)
                expectStoppedSayingWhy(node, exit: exit, round: round)
                let refusals = try await cluster.store.clusterLog().filter {
                    $0.node == "a" && $0.kind.hasPrefix("refused-")
                }
                print(
                    "lease loss round \(round) (\(busy ? "busy" : "idle")): exit \(exit.map { "\($0)" } ?? "none"), "
                        + "refused \(refusals.dropFirst(seenRefusals).map(\.kind).joined(separator: ", "))")
                seenRefusals = refusals.count
                try await other.leave(held: taken)
                await other.close()
            }
            await cluster.finish()
        }

        @Test(
            "a resumed node whose last batch waits on a lock another session holds still exits non-zero, within the shutdown bound"
        )
        func resumedNodeBlockedInTheStoreExits() async throws {
            let partitions = 4
            let leaseMilliseconds: Int64 = 3_000
            let cluster = try await ClusterBox(
                channels: "  chat: { kind: file, path: outbox }", partitions: partitions, lease: "3s")
            let server = try #require(TestPostgres.available)
            let feed = try OrderFeed(cluster.box)
            let rounds = Int(ProcessInfo.processInfo.environment["TP_LEASE_LOSS_ROUNDS"] ?? "") ?? 2
            for round in 0..<rounds {
                let node = try cluster.box.startDaemon(
                    arguments: ["--log-level", "debug", "--shutdown-grace", "2"],
                    environment: ["TP_NODE": "a", "PGPASSWORD": cluster.server.password],
                    log: "a-\(round).log")
                defer { node.kill9() }
                try await node.running()
                let holdsAll = try await eventuallyAsync(within: 60) {
                    try await cluster.shares() == ["a": partitions]
                }
                #expect(holdsAll, "round \(round): a never took every partition")
                try feed.orders(10)
                try await Task.sleep(nanoseconds: 500_000_000)
                node.signal(SIGSTOP)
                // Read once it is continued: its batch of them waits on the partitions' rows, locked below.
                try feed.orders(10)
                try await Task.sleep(nanoseconds: UInt64(2 * leaseMilliseconds) * 1_000_000)
                let (other, taken) = try await takeOver(
                    cluster, server: server, partitions: partitions, round: round)
                let lock = try await OpenTransaction.begin(
                    "SELECT partition FROM cluster_partitions FOR UPDATE", server: server,
                    database: cluster.database)
                node.signal(SIGCONT)
                let exit = await node.waitForExit(seconds: 120)
                await lock.release()
                expectStoppedSayingWhy(node, exit: exit, round: round)
                print("lease loss behind a lock, round \(round): exit \(exit.map { "\($0)" } ?? "none")")
                if exit == nil { node.kill9() }
                try await other.leave(held: taken)
                await other.close()
            }
            await cluster.finish()
        }

        /// The other node, "b" (through the store's API): joins once `a`'s lease has run out, declares `a` dead
        /// and takes every partition.
        func takeOver(_ cluster: ClusterBox, server: TestPostgres, partitions: Int, round: Int) async throws
            -> (PostgresStore, [Int: Int64])
        {
            let other = try await PostgresStore.open(
                server.options(database: cluster.database),
                cluster: PostgresStore.ClusterSettings(
                    partitions: partitions, node: "b", leaseMilliseconds: 60_000))
            try await other.join(host: "test", pid: 2)
            let dead = try await eventuallyAsync(within: 60) {
                _ = try await other.sweepDeadNodes(resendable: [], at: wallNow())
                return try await cluster.store.clusterLog(kind: "declared-dead").contains {
                    $0.detail.hasPrefix("a ")
                }
            }
            #expect(dead, "round \(round): a was never declared dead")
            return (other, try await other.acquire(count: partitions))
        }

        /// Expects the resumed node to have stopped, non-zero, with a log line saying why; returns its log (and,
        /// with `TP_LEASE_LOSS_VERBOSE`, prints its shutdown lines).
        @discardableResult
        func expectStoppedSayingWhy(_ node: DaemonProcess, exit: Int32?, round: Int) -> String {
            let log = node.logText()
            #expect(exit != nil, "round \(round): the resumed node kept running: \(log.suffix(6000))")
            if let exit {
                #expect(exit != 0, "round \(round): the resumed node exited 0: \(log.suffix(3000))")
            }
            #expect(
                log.contains("store refused a write"),
                "round \(round): the resumed node's log does not say why: \(log.suffix(3000))")
            if ProcessInfo.processInfo.environment["TP_LEASE_LOSS_VERBOSE"] != nil {
                let lines = log.split(separator: "\n").filter {
                    $0.contains("ervice") || $0.contains("lease") || $0.contains("refused")
                        || $0.contains("stopped") || $0.contains("rror") || $0.contains("still running")
                }
                print(lines.suffix(40).joined(separator: "\n"))
            }
            return log
        }
    }
}

/// Customers u0…u19 and their orders, appended to the sandbox's events with strictly increasing timestamps.
private final class OrderFeed {
    let box: Sandbox
    private var lastStamp = wallNow().milliseconds
    private var order = 0

    init(_ box: Sandbox) throws {
        self.box = box
        try box.append((0..<20).map { Line.identify("u\($0)", index: $0, at: stamp()) })
    }

    private func stamp() -> Instant {
        lastStamp = max(lastStamp + 1, wallNow().milliseconds)
        return Instant(milliseconds: lastStamp)
    }

    func orders(_ count: Int) throws {
        try box.append(
            (0..<count).map { _ in
                order += 1
                return Line.track(
                    "Order Completed", user: "u\(order % 20)", id: "order-\(order)", n: order, at: stamp())
            })
    }
}
