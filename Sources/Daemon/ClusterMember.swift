import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import TouchpointCore

/// What the cluster member asks of the pipeline: take partitions on (load their state, start applying their
/// events) and give them up (commit what was applied, forget their customers). Both happen between batches.
protocol PartitionHolder: Sendable {
    /// Loads `partitions` (partition → epoch) from the store and starts applying their events; throws when their
    /// state cannot be loaded (the member then hands them back).
    func adopt(_ partitions: [Int: Int64]) async throws
    /// Stops applying `partitions` once everything applied of them is committed, and forgets their customers.
    /// Returns `false` when the pipeline has stopped (nothing more is committed anyway).
    func relinquish(_ partitions: Set<Int>) async -> Bool
}

/// A cluster node's membership (SPEC §10): renews the node's lease and its partitions' every third of the lease,
/// declares nodes whose lease ran out dead (settling the sends they left in flight), and moves towards an even
/// share of the partitions (``Rebalance``): handing over what it has too many of, taking free ones when it has
/// too few. On a graceful stop it hands everything over at once and leaves, after the pipeline's last commit.
///
/// A renewal the store refuses means this node's view is stale (it was paused past its lease, or another process
/// took its name): it stops the daemon rather than go on writing under epochs it no longer holds.
actor ClusterMember: Service {
    private let store: PostgresStore
    private let node: String
    private let leaseMilliseconds: Int64
    private let holder: any PartitionHolder
    private let resendable: Set<String>
    private let dispatcherWakeup: Wakeup
    /// Ends the process should it not stop in time once its lease is gone.
    private let leaseLost: LeaseLost
    private let logger: Logger
    private let clock: @Sendable () -> Instant
    private let wakeup = Wakeup()
    /// The partitions this node holds, with their epochs.
    private(set) var held: [Int: Int64] = [:]

    init(
        store: PostgresStore, node: String, leaseMilliseconds: Int64, holder: any PartitionHolder,
        resendable: Set<String>, dispatcherWakeup: Wakeup, leaseLost: LeaseLost, logger: Logger,
        clock: @escaping @Sendable () -> Instant
    ) {
        self.store = store
        self.node = node
        self.leaseMilliseconds = leaseMilliseconds
        self.holder = holder
        self.resendable = resendable
        self.dispatcherWakeup = dispatcherWakeup
        self.leaseLost = leaseLost
        self.logger = logger
        self.clock = clock
    }

    func run() async throws {
        let wakeup = self.wakeup
        let period = max(100, leaseMilliseconds / 3)
        let store = self.store
        let watcher = Task { await store.watchCluster { wakeup.signal() } }
        defer { watcher.cancel() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let started = clock()
            do {
                try await tick()
            } catch let StoreError.fenced(why) {
                logger.critical(
                    "this node's lease is gone; stopping so that nothing more is written under it: \(StoreError.fenced(why))",
                    metadata: ["cluster.node": "\(node)"])
                leaseLost.arm(StoreError.fenced(why))
                throw StoreError.fenced(why)
            } catch {
                // The database may be out of reach for a moment; the lease has two more renewals to go.
                logger.error("cluster renewal failed: \(error)", metadata: ["cluster.node": "\(node)"])
            }
            let spent = clock().milliseconds - started.milliseconds
            await withGracefulShutdownHandler {
                await wakeup.wait(milliseconds: max(10, period - spent))
            } onGracefulShutdown: {
                wakeup.signal()
            }
        }
        // The pipeline and the dispatcher have stopped (the group stops them first): everything this node applied
        // is committed, every send it started recorded. Hand the partitions over without waiting for the lease.
        guard !Task.isCancelled else { return }
        do {
            try await store.leave(held: held)
            logger.notice(
                "left the cluster, handing over \(PostgresStore.describe(held.keys.sorted()))",
                metadata: ["cluster.node": "\(node)"])
            held = [:]
        } catch {
            logger.error("could not hand the partitions over (they free when the lease runs out): \(error)")
        }
    }

    /// One renewal and rebalancing step.
    private func tick() async throws {
        let view = try await store.renew(held: held)
        for (dead, report) in try await store.sweepDeadNodes(resendable: resendable, at: clock()) {
            let what =
                "\(report.requeued.count) send(s) re-queued with the same id, \(report.unknown.count) marked unknown"
            logger.warning(
                "node \(dead) declared dead (its lease ran out): \(what)",
                metadata: ["cluster.node": "\(node)"])
            if !report.requeued.isEmpty { dispatcherWakeup.signal() }
        }
        guard !Task.isShuttingDownGracefully else { return }
        let plan = Rebalance.plan(view: view, node: node, held: Set(held.keys))
        if !plan.release.isEmpty {
            let give = held.filter { plan.release.contains($0.key) }
            guard await holder.relinquish(Set(give.keys)) else { return }
            let released = try await store.release(
                give, reason: "rebalancing to \(view.liveNodes.count) node(s)")
            for p in give.keys { held[p] = nil }
            if released.count < give.count {
                logger.warning(
                    "\(give.count - released.count) partition(s) were no longer this node's to hand over")
            }
        }
        if plan.acquire > 0 {
            let taken = try await store.acquire(count: plan.acquire)
            guard !taken.isEmpty else { return }
            held.merge(taken) { $1 }
            do {
                try await holder.adopt(taken)
                logger.notice(
                    "took over \(PostgresStore.describe(taken.keys.sorted()))",
                    metadata: ["cluster.node": "\(node)"])
            } catch {
                for p in taken.keys { held[p] = nil }
                _ = try? await store.release(taken, reason: "could not load them: \(error)")
                throw error
            }
        }
    }
}

/// The last resort once a write is refused under a stale epoch (SPEC §10): every later write of this process is
/// refused too, so nothing is lost by ending it. Should the daemon not have stopped `milliseconds` after the first
/// refusal (a service still waiting on something that ignores both its shutdown and its cancellation), the process
/// ends with status 1, saying why. The timer is a thread of its own: the cooperative pool may be what is stuck.
final class LeaseLost: Sendable {
    private let armed = Mutex(false)
    private let milliseconds: Int64
    private let node: String
    private let logger: Logger

    init(milliseconds: Int64, node: String, logger: Logger) {
        self.milliseconds = milliseconds
        self.node = node
        self.logger = logger
    }

    /// Starts the timer (once; later refusals change nothing).
    func arm(_ refusal: any Error) {
        let first = armed.withLock { was in
            defer { was = true }
            return !was
        }
        guard first else { return }
        let milliseconds = self.milliseconds
        let node = self.node
        let logger = self.logger
        let thread = Thread {
            Thread.sleep(forTimeInterval: Double(max(0, milliseconds)) / 1000)
            let message =
                "still running \(milliseconds) ms after the store refused this node's write (\(refusal)); "
                + "ending the process"
            logger.critical("\(message)", metadata: ["cluster.node": "\(node)"])
            fflush(nil)
            exit(1)
        }
        thread.name = "touchpoint-lease-lost"
        thread.start()
    }
}

/// A service whose refused write (``StoreError/fenced(_:)``) arms ``LeaseLost`` before it is rethrown.
struct FencedService: Service {
    let service: any Service
    let leaseLost: LeaseLost

    func run() async throws {
        do {
            try await service.run()
        } catch let StoreError.fenced(why) {
            leaseLost.arm(StoreError.fenced(why))
            throw StoreError.fenced(why)
        }
    }
}
