import Events
import Foundation
import Store
import TouchpointCore

/// A cluster node's reading of the shared events folder (SPEC §10): only the events of customers in partitions
/// it holds, each partition from where its previous holder committed it.
///
/// Partitions that stand at the same offsets read together, through one ``Ingestor`` (a cohort): normally every
/// partition a node holds is in one cohort and each line is read once. A partition taken over from a node that
/// was behind (or ahead) starts a cohort of its own at its committed offsets, reads the lines only it still needs,
/// and joins the others once it stands where they stand (at the ends of the files, at the latest). So a takeover
/// resumes each partition exactly where its last commit left it: no line lost, none applied twice.
struct PartitionedIngest {
    /// Partitions read together, and their reader.
    struct Cohort {
        var partitions: Set<Int>
        var ingestor: Ingestor
    }

    /// One read of every cohort.
    struct Read {
        /// Events of held partitions, in each cohort's file order.
        var events: [Event] = []
        /// Rejected lines the node records (those whose bytes hash into a held partition: each line once in the
        /// cluster), with the partition.
        var rejected: [(line: QuarantinedLine, partition: Int)] = []
        /// Per partition, the offsets that moved.
        var offsets: [Int: [FileOffset]] = [:]
        /// Per partition, paths whose offsets moved to another file (a rename).
        var removedOffsets: [Int: [String]] = [:]
        /// Lines read, over all cohorts.
        var lines = 0
        /// Whether a cohort filled its share (more may be waiting).
        var full = false
    }

    let folder: String
    let partitioner: Partitioner
    private(set) var cohorts: [Cohort] = []

    init(folder: String, partitioner: Partitioner) {
        self.folder = folder
        self.partitioner = partitioner
    }

    /// The partitions being read.
    var partitions: Set<Int> { cohorts.reduce(into: Set<Int>()) { $0.formUnion($1.partitions) } }

    /// Starts reading `partition` from `offsets` (where its previous holder committed it), with the cohort that
    /// stands at the same offsets, or in a cohort of its own.
    mutating func adopt(_ partition: Int, offsets: [String: FileOffset]) {
        drop([partition])
        if let i = cohorts.firstIndex(where: { Self.samePositions($0.ingestor.offsets, offsets) }) {
            cohorts[i].partitions.insert(partition)
        } else {
            cohorts.append(
                Cohort(partitions: [partition], ingestor: Ingestor(folder: folder, offsets: offsets)))
        }
    }

    /// Stops reading `partitions`.
    mutating func drop(_ partitions: Set<Int>) {
        for i in cohorts.indices { cohorts[i].partitions.subtract(partitions) }
        cohorts.removeAll { $0.partitions.isEmpty }
    }

    /// Reads up to `limit` lines per cohort; cohorts that end up at the same offsets merge.
    mutating func read(limit: Int, now: Instant) -> Read {
        var out = Read()
        for i in cohorts.indices {
            let members = cohorts[i].partitions
            let batch = cohorts[i].ingestor.read(limit: limit, now: now)
            out.lines += batch.lines
            if batch.lines >= limit { out.full = true }
            for event in batch.events where members.contains(partitioner.partition(of: event.userId)) {
                out.events.append(event)
            }
            for line in batch.rejected {
                let p = partitioner.partition(ofBytes: line.raw)
                if members.contains(p) { out.rejected.append((line, p)) }
            }
            // Device numbers differ between machines mounting the same folder: kept as 0 (any device), the file is
            // known by its inode and the fingerprint of its bytes.
            let moved = batch.offsets.values.map { o -> FileOffset in
                var o = o
                o.device = 0
                return o
            }
            for p in members {
                if !moved.isEmpty { out.offsets[p] = moved }
                if !batch.removedOffsets.isEmpty { out.removedOffsets[p] = batch.removedOffsets }
            }
        }
        mergeCohorts()
        return out
    }

    private mutating func mergeCohorts() {
        var merged: [Cohort] = []
        for cohort in cohorts {
            if let i = merged.firstIndex(where: {
                Self.samePositions($0.ingestor.offsets, cohort.ingestor.offsets)
            }) {
                merged[i].partitions.formUnion(cohort.partitions)
            } else {
                merged.append(cohort)
            }
        }
        cohorts = merged
    }

    /// Whether two offset maps stand at the same place in the same files (sizes and fingerprints aside).
    static func samePositions(_ a: [String: FileOffset], _ b: [String: FileOffset]) -> Bool {
        func positions(_ m: [String: FileOffset]) -> [String: [UInt64]] {
            m.filter { $0.value.offset > 0 }.mapValues { [$0.offset, UInt64($0.line), $0.inode] }
        }
        return positions(a) == positions(b)
    }
}
