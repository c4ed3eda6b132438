import Foundation
import TouchpointCore

/// One node of a cluster store, as its row says.
public struct ClusterNode: Sendable, Hashable {
    /// Whether it runs, stopped handing its partitions over, or was declared dead by another node.
    public enum State: String, Sendable, Hashable {
        case alive, left, dead
    }

    /// Its name (`cluster.node`).
    public var name: String
    /// Its current epoch: grows at each start and when it is declared dead; its outbox writes carry it.
    public var epoch: Int64
    /// Its state.
    public var state: State
    /// The host and process it runs as.
    public var host: String
    public var pid: Int32
    /// When this incarnation started, last renewed, and when its lease runs out (the server's clock).
    public var startedAt: Instant
    public var renewedAt: Instant
    public var expiresAt: Instant
    /// Events it applied, over all its incarnations.
    public var eventsApplied: Int
    /// Its engine's pending timers at its last commit.
    public var pendingTimers: Int?

    /// A node.
    public init(
        name: String, epoch: Int64, state: State, host: String, pid: Int32, startedAt: Instant,
        renewedAt: Instant,
        expiresAt: Instant, eventsApplied: Int = 0, pendingTimers: Int? = nil
    ) {
        self.name = name
        self.epoch = epoch
        self.state = state
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.renewedAt = renewedAt
        self.expiresAt = expiresAt
        self.eventsApplied = eventsApplied
        self.pendingTimers = pendingTimers
    }

    /// Alive and within its lease at `now`.
    public func isLive(at now: Instant) -> Bool { state == .alive && expiresAt > now }
}

/// One partition's lease row.
public struct PartitionLease: Sendable, Hashable {
    /// The partition.
    public var partition: Int
    /// Who holds it; `nil` when released.
    public var owner: String?
    /// The fencing token: grows at every acquisition.
    public var epoch: Int64
    /// When its holder acquired and last renewed it, and when the lease runs out.
    public var acquiredAt: Instant?
    public var renewedAt: Instant?
    public var expiresAt: Instant

    /// A lease.
    public init(
        partition: Int, owner: String?, epoch: Int64, acquiredAt: Instant?, renewedAt: Instant?,
        expiresAt: Instant
    ) {
        self.partition = partition
        self.owner = owner
        self.epoch = epoch
        self.acquiredAt = acquiredAt
        self.renewedAt = renewedAt
        self.expiresAt = expiresAt
    }

    /// Held by someone whose lease has not run out at `now`.
    public func isHeld(at now: Instant) -> Bool { owner != nil && expiresAt > now }
}

/// What a node sees of the cluster after a renewal: the basis of its next rebalancing step.
public struct ClusterView: Sendable, Hashable {
    /// The server's clock when it was read.
    public var now: Instant
    /// Every node row, by name.
    public var nodes: [ClusterNode]
    /// Every partition's lease, by partition.
    public var leases: [PartitionLease]

    /// A view.
    public init(now: Instant, nodes: [ClusterNode], leases: [PartitionLease]) {
        self.now = now
        self.nodes = nodes
        self.leases = leases
    }

    /// The names of the live nodes, sorted.
    public var liveNodes: [String] { nodes.filter { $0.isLive(at: now) }.map(\.name).sorted() }

    /// The partitions `node` holds, with their epochs.
    public func held(by node: String) -> [Int: Int64] {
        var out: [Int: Int64] = [:]
        for l in leases where l.owner == node && l.isHeld(at: now) { out[l.partition] = l.epoch }
        return out
    }

    /// The partitions nobody holds.
    public var free: [Int] { leases.filter { !$0.isHeld(at: now) }.map(\.partition).sorted() }
}

/// An entry of the cluster's log: joins, hand-overs, nodes declared dead, refused writes.
public struct ClusterLogEntry: Sendable, Hashable {
    public var at: Instant
    public var node: String
    /// `joined`, `acquired`, `released`, `left`, `declared-dead`, `refused-commit`, `refused-claim`, …
    public var kind: String
    public var detail: String

    /// An entry.
    public init(at: Instant, node: String, kind: String, detail: String) {
        self.at = at
        self.node = node
        self.kind = kind
        self.detail = detail
    }
}

/// `touchpoint status` of a cluster store: nodes, their partitions and lease ages, the recent log.
public struct ClusterStatus: Sendable, Hashable {
    /// The leases and nodes, read at the server's `now`.
    public var view: ClusterView
    /// The number of partitions.
    public var partitions: Int
    /// The latest log entries, newest first.
    public var log: [ClusterLogEntry]
    /// When the population statistics were last merged into each node's contribution (node → time).
    public var statsUpdated: [String: Instant]

    /// A status.
    public init(view: ClusterView, partitions: Int, log: [ClusterLogEntry], statsUpdated: [String: Instant]) {
        self.view = view
        self.partitions = partitions
        self.log = log
        self.statsUpdated = statsUpdated
    }
}

/// One partition's state, loaded by the node that acquired it.
public struct PartitionState: Sendable, Hashable {
    /// Engine-serialized state of each customer of the partition.
    public var customers: [String: Data] = [:]
    /// Where the partition's previous holder committed each events file.
    public var offsets: [String: FileOffset] = [:]
    /// The partition's blobs (the sequencer's state).
    public var globals: [String: Data] = [:]

    /// An empty partition.
    public init() {}
}
