import Engine
import Foundation
import Logging
import Scheduler
import Store
import TouchpointCore

/// A cluster node's side of the pipeline (SPEC §10): the partitions it holds, read and applied; their hand-over
/// and take-over between batches; its share of the population statistics and the periodic merge.
struct PipelineCluster {
    /// A request of the cluster member, served at the next batch boundary.
    enum Request {
        case adopt([Int: Int64], CheckedContinuation<Void, any Error>)
        case relinquish(Set<Int>, CheckedContinuation<Bool, Never>)
    }

    let store: PostgresStore
    let node: String
    let partitioner: Partitioner
    let statsEveryMilliseconds: Int64
    /// Partitions applied, with the epoch each was taken under: every batch is fenced with them.
    var held: [Int: Int64] = [:]
    var ingest: PartitionedIngest
    var requests: [Request] = []
    /// This node's share of the population statistics (committed, plus the batch being committed).
    var contribution = PopulationStats()
    /// The engine's live counts after the last batch: the next batch's share is what it adds to them.
    var base = PopulationStats()
    /// The last merge: when, and how many nodes' shares it summed.
    var mergedAt = Instant(milliseconds: .min)
    var mergeCount = 0

    init(store: PostgresStore, settings: PostgresStore.ClusterSettings, statsEvery: Int64, folder: String) {
        self.store = store
        self.node = settings.node
        self.partitioner = settings.partitioner
        self.statsEveryMilliseconds = statsEvery
        self.ingest = PartitionedIngest(folder: folder, partitioner: settings.partitioner)
    }
}

extension Pipeline: PartitionHolder {
    /// Takes `partitions` on at the next batch boundary: their customers, offsets and pending timers come from
    /// the store as their previous holder committed them.
    func adopt(_ partitions: [Int: Int64]) async throws {
        guard cluster != nil else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            cluster!.requests.append(.adopt(partitions, c))
            wakeup.signal()
        }
    }

    /// Gives `partitions` up at the next batch boundary, once what was applied of them is committed.
    func relinquish(_ partitions: Set<Int>) async -> Bool {
        guard cluster != nil else { return false }
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            cluster!.requests.append(.relinquish(partitions, c))
            wakeup.signal()
        }
    }

    /// Before the first batch: this node's committed share and the cluster's merged statistics.
    func startCluster(now: Instant) async throws {
        guard cluster != nil else { return }
        try await mergePopulation(now: now)
    }

    /// Serves the member's requests and merges the statistics when due; between batches.
    func serveCluster(now: Instant) async throws {
        guard var state = cluster else { return }
        let requests = state.requests
        state.requests = []
        cluster = state
        for request in requests {
            switch request {
            case .adopt(let partitions, let done):
                do {
                    try await take(partitions)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            case .relinquish(let partitions, let done):
                do {
                    try await give(partitions)
                    done.resume(returning: true)
                } catch {
                    done.resume(returning: false)
                    throw error
                }
            }
        }
        if let c = cluster, now.milliseconds - c.mergedAt.milliseconds >= c.statsEveryMilliseconds {
            try await mergePopulation(now: now)
        }
    }

    /// Ends the member's waits when the pipeline stops: nothing more is taken on or committed.
    func stopCluster() {
        guard let requests = cluster?.requests else { return }
        cluster?.requests = []
        for request in requests {
            switch request {
            case .adopt(_, let done): done.resume(throwing: CancellationError())
            case .relinquish(_, let done): done.resume(returning: false)
            }
        }
    }

    private func take(_ partitions: [Int: Int64]) async throws {
        guard let state = cluster else { return }
        let loaded = try await state.store.loadPartitions(Array(partitions.keys))
        var customers: [String: Data] = [:]
        for (_, p) in loaded { customers.merge(p.customers) { $1 } }
        let decoded = try Engine.decode(customers: customers, globals: nil)
        engine.restore(globals: nil, customers: decoded.customers)
        for (p, epoch) in partitions {
            cluster!.held[p] = epoch
            cluster!.ingest.adopt(p, offsets: loaded[p]?.offsets ?? [:])
        }
        logger.notice(
            "took over \(PostgresStore.describe(partitions.keys.sorted())): \(decoded.customers.count) customer(s)",
            metadata: ["cluster.node": "\(state.node)"])
    }

    private func give(_ partitions: Set<Int>) async throws {
        guard let state = cluster else { return }
        // Everything applied of them must be in the store before the next holder loads them.
        try await settlePendingCommit()
        cluster!.ingest.drop(partitions)
        for p in partitions { cluster!.held[p] = nil }
        let keep = engine.allStates().filter { !partitions.contains(state.partitioner.partition(of: $0.key)) }
        rebuildEngine(keeping: keep)
        logger.notice(
            "handed over \(PostgresStore.describe(partitions.sorted()))",
            metadata: ["cluster.node": "\(state.node)"])
    }

    /// Reads the held partitions' new lines.
    func readCluster(now: Instant) -> PartitionedIngest.Read? {
        guard cluster != nil else { return nil }
        return cluster!.ingest.read(limit: options.batchLines, now: now)
    }

    /// Makes `batch` a cluster batch: fenced with every held partition's epoch, offsets per partition, this node's
    /// share of the statistics; no file-level offsets and no global blobs (each node's engine globals are its own).
    func clusterBatch(_ batch: inout Batch, read: PartitionedIngest.Read) throws {
        guard var state = cluster else { return }
        batch.fence = state.held
        batch.offsets = []
        batch.removedOffsets = []
        batch.globals = [:]
        batch.partitionOffsets = read.offsets
        batch.removedPartitionOffsets = read.removedOffsets
        let live = engine.globals.population.live
        let share = live.adding(state.base, sign: -1)
        if !share.isEmpty {
            state.contribution = state.contribution.adding(share)
            batch.nodePopulation = try JSONEncoder().encode(state.contribution)
        }
        state.base = live
        cluster = state
    }

    /// Sums every node's committed share (this node's own included: its pending commit settles first) and freezes
    /// the engine's decisions on the sum until the next merge.
    private func mergePopulation(now: Instant) async throws {
        guard let state = cluster else { return }
        try await settlePendingCommit()
        let blobs = try await state.store.populationContributions()
        let decoder = JSONDecoder()
        var merged = PopulationStats()
        for (_, blob) in blobs.sorted(by: { $0.key < $1.key }) {
            merged = merged.adding(try decoder.decode(PopulationStats.self, from: blob))
        }
        if let own = blobs[state.node], cluster!.mergeCount == 0 {
            cluster!.contribution = try decoder.decode(PopulationStats.self, from: own)
        }
        var globals = engine.globals
        globals.population = merged.freezing()
        engine.restore(globals: globals, customers: [:])
        cluster!.base = merged
        cluster!.mergedAt = now
        cluster!.mergeCount += 1
        logger.debug(
            "population statistics merged from \(blobs.count) node(s)",
            metadata: ["cluster.node": "\(state.node)"])
    }
}
