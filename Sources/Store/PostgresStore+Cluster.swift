import Foundation
import PostgresNIO
import TouchpointCore

extension PostgresStore {
    /// Fixes the partition count on first use (a cluster's partitions never change: every customer's partition
    /// and every offset depends on it) and creates the lease rows. A store a single daemon used before keeps its
    /// customers (their partitions are computed from the stored hash) and gives every partition its offsets.
    func prepareCluster(_ settings: ClusterSettings) async throws {
        let count = settings.partitioner.count
        try await transaction { c, l in
            try await c.rows("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: l)
            if let stored = try await Self.meta(MetaKey.partitions, c, l) {
                guard stored == Int64(count) else {
                    throw StoreError.io(
                        "this cluster store has \(stored) partitions; 'cluster.partitions: \(count)' cannot change it "
                            + "(every customer's partition and every offset depends on it)")
                }
                return
            }
            try await Self.setMeta(MetaKey.partitions, Int64(count), c, l)
            try await c.rows(
                "INSERT INTO cluster_partitions (partition) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING",
                [.int32(Int32(count))], logger: l)
            try await c.rows(
                "UPDATE customers SET partition = (key_hash % $1)::int4", [.int(Int64(count))], logger: l)
            try await c.rows(
                """
                INSERT INTO partition_offsets (partition, path, byte_offset, line, inode, size, device, fingerprint)
                SELECT p, path, byte_offset, line, inode, size, device, fingerprint
                FROM file_offsets, generate_series(0, $1 - 1) AS p
                ON CONFLICT DO NOTHING
                """, [.int32(Int32(count))], logger: l)
        }
    }

    /// This node's name and epoch for fencing an outbox write; `nil` outside a cluster.
    func nodeFence() throws -> (name: String, epoch: Int64)? {
        guard let cluster else { return nil }
        guard let epoch = nodeEpoch.withLock({ $0 }) else {
            throw StoreError.io("cluster node \(cluster.node) has not joined yet")
        }
        return (cluster.node, epoch)
    }

    /// Refuses (``StoreError/fenced(_:)``) unless the node's row still carries its epoch and is alive; locks the
    /// row (shared) until the transaction ends, so declaring the node dead waits for this write or refuses it.
    static func checkNode(_ node: (name: String, epoch: Int64), _ c: PostgresConnection, _ l: Logger)
        async throws
    {
        let row = try await c.rows(
            "SELECT epoch, state FROM cluster_nodes WHERE node = $1 FOR SHARE", [.text(node.name)], logger: l
        ).first
        guard let (epoch, state) = try row?.decode((Int64, String).self) else {
            throw StoreError.fenced("node \(node.name) is not registered in this cluster")
        }
        guard epoch == node.epoch, state == ClusterNode.State.alive.rawValue else {
            throw StoreError.fenced(
                "node \(node.name) is \(state) at epoch \(epoch); this process wrote under epoch \(node.epoch)"
            )
        }
    }

    /// Writes a refused write into the cluster log, in a transaction of its own (the refused one rolled back).
    /// A recording transaction: the refusal usually starts this process's shutdown, whose cancellation must
    /// not lose the record, and a session the server ended while the process was paused is replaced.
    func recordRefusal(_ kind: String, _ why: String) async {
        guard let cluster else { return }
        let epoch = nodeEpoch.withLock { $0 } ?? 0
        do {
            _ = try await recordingTransaction { c, l in
                try await c.rows(
                    "INSERT INTO cluster_log (at, node, kind, detail) VALUES (\(Self.nowMilliseconds), $1, $2, $3)",
                    [.text(cluster.node), .text("refused-\(kind)"), .text("epoch \(epoch): \(why)")],
                    logger: l)
            }
        } catch {
            logger.warning("could not record the refused \(kind) in the cluster log: \(error)")
        }
    }

    /// Sets a short lock timeout for a membership transaction: a paused node's locks must not stall the others'
    /// renewals (the server ends such a session after `idle_in_transaction_session_timeout` anyway).
    private func membershipTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let lease = cluster?.leaseMilliseconds ?? 10_000
        return try await recordingTransaction { c, l in
            try await c.rows("SET LOCAL lock_timeout = '\(max(200, lease / 4))ms'", logger: l)
            return try await body(c, l)
        }
    }

    /// Registers this process as the cluster node: a new epoch for its row (a previous incarnation of the same
    /// node, dead or only paused, is fenced from now on), alive for one lease. Returns the epoch.
    @discardableResult
    public func join(host: String, pid: Int32) async throws -> Int64 {
        guard let cluster else { throw StoreError.io("this PostgreSQL store has no cluster settings") }
        let epoch = try await membershipTransaction { c, l in
            let rows = try await c.rows(
                """
                INSERT INTO cluster_nodes (node, epoch, state, host, pid, started_at, renewed_at, expires_at)
                VALUES ($1, 1, 'alive', $2, $3, \(Self.nowMilliseconds), \(Self.nowMilliseconds),
                    \(Self.nowMilliseconds) + $4)
                ON CONFLICT (node) DO UPDATE SET epoch = cluster_nodes.epoch + 1, state = 'alive', host = excluded.host,
                    pid = excluded.pid, started_at = excluded.started_at, renewed_at = excluded.renewed_at,
                    expires_at = excluded.expires_at
                RETURNING epoch
                """,
                [.text(cluster.node), .text(host), .int32(pid), .int(cluster.leaseMilliseconds)], logger: l)
            let epoch = try rows.first?.decode(Int64.self) ?? 1
            // Whatever an earlier incarnation still holds is released: its in-memory state is gone with it.
            try await c.rows(
                """
                UPDATE cluster_partitions SET owner = NULL, expires_at = 0 WHERE owner = $1
                """, [.text(cluster.node)], logger: l)
            try await Self.log(cluster.node, "joined", "epoch \(epoch) on \(host) pid \(pid)", c, l)
            return epoch
        }
        nodeEpoch.withLock { $0 = epoch }
        return epoch
    }

    /// Renews this node's lease and those of `held` (partition → epoch), then reads the cluster.
    ///
    /// Throws ``StoreError/fenced(_:)`` when the node's row no longer carries its epoch (it was declared dead, or
    /// another process started under its name) or when a partition of `held` was taken over: in both cases the
    /// node's view is stale and it must stop.
    public func renew(held: [Int: Int64]) async throws -> ClusterView {
        let node = try nodeFence()!
        let lease = cluster!.leaseMilliseconds
        do {
            return try await membershipTransaction { c, l in
                let renewed = try await c.rows(
                    """
                    UPDATE cluster_nodes SET renewed_at = \(Self.nowMilliseconds),
                        expires_at = \(Self.nowMilliseconds) + $3
                    WHERE node = $1 AND epoch = $2 AND state = 'alive' RETURNING 1
                    """, [.text(node.name), .int(node.epoch), .int(lease)], logger: l)
                guard !renewed.isEmpty else {
                    let (epoch, state) =
                        try await c.rows(
                            "SELECT epoch, state FROM cluster_nodes WHERE node = $1", [.text(node.name)],
                            logger: l
                        ).first?.decode((Int64, String).self) ?? (Int64(0), "missing")
                    throw StoreError.fenced(
                        "node \(node.name) is \(state) at epoch \(epoch); this process renewed under epoch \(node.epoch)"
                    )
                }
                if !held.isEmpty {
                    let sorted = held.sorted { $0.key < $1.key }
                    let kept = try await c.rows(
                        """
                        UPDATE cluster_partitions p SET renewed_at = \(Self.nowMilliseconds),
                            expires_at = \(Self.nowMilliseconds) + $4
                        FROM unnest($2::int4[], $3::int8[]) AS h(partition, epoch)
                        WHERE p.partition = h.partition AND p.epoch = h.epoch AND p.owner = $1
                        RETURNING p.partition
                        """,
                        [
                            .text(node.name), .int32s(sorted.map { Int32($0.key) }),
                            .ints(sorted.map(\.value)),
                            .int(lease),
                        ], logger: l)
                    let keptSet = Set(try kept.map { Int(try $0.decode(Int32.self)) })
                    let lost = sorted.map(\.key).filter { !keptSet.contains($0) }
                    if let p = lost.first {
                        throw StoreError.fenced(
                            "partition \(p)\(lost.count > 1 ? " and \(lost.count - 1) more" : "") taken over; "
                                + "\(node.name) renewed under epoch \(held[p]!)")
                    }
                }
                return try await Self.view(c, l)
            }
        } catch let StoreError.fenced(why) {
            await recordRefusal("renewal", why)
            throw StoreError.fenced(why)
        }
    }

    /// Takes up to `count` free partitions (released, or their lease ran out), lowest first, each under a new
    /// epoch; partitions another node is taking at the same moment are skipped, not waited for. `among` limits
    /// the choice. Returns what was taken.
    public func acquire(count: Int, among: [Int]? = nil) async throws -> [Int: Int64] {
        guard count > 0 else { return [:] }
        let node = try nodeFence()!
        let lease = cluster!.leaseMilliseconds
        return try await membershipTransaction { c, l in
            try await Self.checkNode(node, c, l)
            let rows = try await c.rows(
                """
                UPDATE cluster_partitions p SET owner = $1, epoch = p.epoch + 1, acquired_at = \(Self.nowMilliseconds),
                    renewed_at = \(Self.nowMilliseconds), expires_at = \(Self.nowMilliseconds) + $2
                FROM (
                    SELECT partition FROM cluster_partitions
                    WHERE (owner IS NULL OR expires_at <= \(Self.nowMilliseconds))
                        AND ($4::int4[] IS NULL OR partition = ANY($4::int4[]))
                    ORDER BY partition LIMIT $3 FOR UPDATE SKIP LOCKED
                ) AS f
                WHERE p.partition = f.partition
                RETURNING p.partition, p.epoch
                """,
                [
                    .text(node.name), .int(lease), .int(Int64(count)),
                    among.map { .int32s($0.map { Int32($0) }) } ?? .null,
                ], logger: l)
            var taken: [Int: Int64] = [:]
            for row in rows {
                let (p, epoch) = try row.decode((Int32, Int64).self)
                taken[Int(p)] = epoch
            }
            if !taken.isEmpty {
                try await Self.log(node.name, "acquired", Self.describe(taken), c, l)
            }
            return taken
        }
    }

    /// Hands partitions back (free at once, for another node to take without waiting for the lease); only those
    /// this node still holds at the given epochs. Returns what was released.
    @discardableResult
    public func release(_ partitions: [Int: Int64], reason: String) async throws -> [Int] {
        guard !partitions.isEmpty else { return [] }
        let node = try nodeFence()!
        return try await membershipTransaction { c, l in
            let sorted = partitions.sorted { $0.key < $1.key }
            let rows = try await c.rows(
                """
                UPDATE cluster_partitions p SET owner = NULL, expires_at = 0, renewed_at = \(Self.nowMilliseconds)
                FROM unnest($2::int4[], $3::int8[]) AS h(partition, epoch)
                WHERE p.partition = h.partition AND p.epoch = h.epoch AND p.owner = $1
                RETURNING p.partition
                """, [.text(node.name), .int32s(sorted.map { Int32($0.key) }), .ints(sorted.map(\.value))],
                logger: l)
            let released = try rows.map { Int(try $0.decode(Int32.self)) }.sorted()
            if !released.isEmpty {
                try await Self.log(
                    node.name, "released", "\(Self.describe(released)) (\(reason))", c, l)
            }
            return released
        }
    }

    /// Leaves the cluster after a graceful stop: the partitions of `held` it still holds at those epochs handed
    /// back, the node row marked `left`. A process that was fenced meanwhile changes nothing (the partitions and the
    /// row may be a newer incarnation's).
    public func leave(held: [Int: Int64]) async throws {
        let node = try nodeFence()!
        try await membershipTransaction { c, l in
            try await Self.checkNode(node, c, l)
            let sorted = held.sorted { $0.key < $1.key }
            let released = try await c.rows(
                """
                UPDATE cluster_partitions p SET owner = NULL, expires_at = 0
                FROM unnest($2::int4[], $3::int8[]) AS h(partition, epoch)
                WHERE p.partition = h.partition AND p.epoch = h.epoch AND p.owner = $1
                RETURNING p.partition
                """, [.text(node.name), .int32s(sorted.map { Int32($0.key) }), .ints(sorted.map(\.value))],
                logger: l
            ).map { Int(try $0.decode(Int32.self)) }.sorted()
            try await c.rows(
                """
                UPDATE cluster_nodes SET state = 'left', expires_at = \(Self.nowMilliseconds)
                WHERE node = $1 AND epoch = $2
                """, [.text(node.name), .int(node.epoch)], logger: l)
            try await Self.log(
                node.name, "left",
                released.isEmpty ? "held nothing" : "handed over \(Self.describe(released))", c, l)
        }
    }

    /// Declares dead every other node whose lease ran out, and settles the outbox rows it left in `sending`
    /// (re-queued where the peer deduplicates, `unknown` otherwise), each node in one transaction with the
    /// epoch bump that fences it. Returns what was done per node.
    public func sweepDeadNodes(resendable: Set<String>, at: Instant) async throws -> [(
        node: String, RecoveryReport
    )] {
        let me = try nodeFence()!
        let candidates = try await snapshot { c, l in
            try await c.rows(
                """
                SELECT node FROM cluster_nodes
                WHERE state = 'alive' AND expires_at <= \(Self.nowMilliseconds) AND node <> $1 ORDER BY node
                """, [.text(me.name)], logger: l
            ).map { try $0.decode(String.self) }
        }
        var out: [(String, RecoveryReport)] = []
        for node in candidates {
            let report = try await membershipTransaction { c, l -> RecoveryReport? in
                let bumped = try await c.rows(
                    """
                    UPDATE cluster_nodes SET state = 'dead', epoch = epoch + 1
                    WHERE node = $1 AND state = 'alive' AND expires_at <= \(Self.nowMilliseconds)
                    RETURNING epoch
                    """, [.text(node)], logger: l)
                guard let epoch = try bumped.first?.decode(Int64.self) else { return nil }
                let report = try await Self.recover(owner: node, resendable: resendable, at: at, c, l)
                try await Self.log(
                    me.name, "declared-dead",
                    "\(node) (its lease ran out; now epoch \(epoch)); \(report.requeued.count) send(s) re-queued, "
                        + "\(report.unknown.count) marked unknown", c, l)
                return report
            }
            if let report { out.append((node, report)) }
        }
        return out
    }

    /// The state of `partitions`, as their previous holders committed it.
    public func loadPartitions(_ partitions: [Int]) async throws -> [Int: PartitionState] {
        guard !partitions.isEmpty else { return [:] }
        let wanted: SQLValue = .int32s(partitions.sorted().map { Int32($0) })
        return try await snapshot { c, l in
            var out: [Int: PartitionState] = [:]
            for p in partitions { out[p] = PartitionState() }
            for row in try await c.rows(
                "SELECT partition, id, state FROM customers WHERE partition = ANY($1::int4[])", [wanted],
                logger: l)
            {
                let (p, id, blob) = try row.decode((Int32, ByteBuffer, ByteBuffer).self)
                out[Int(p)]?.customers[String(exactText: id.data)] = blob.data
            }
            for row in try await c.rows(
                "SELECT partition, \(Self.offsetColumns) FROM partition_offsets WHERE partition = ANY($1::int4[])",
                [wanted], logger: l)
            {
                let p = Int(try row.makeRandomAccess()[0].decode(Int32.self))
                let offset = try FileOffset(postgres: row, skipping: 1)
                out[p]?.offsets[offset.path] = offset
            }
            for row in try await c.rows(
                "SELECT partition, key, value FROM partition_globals WHERE partition = ANY($1::int4[])",
                [wanted],
                logger: l)
            {
                let (p, key, value) = try row.decode((Int32, String, ByteBuffer).self)
                out[Int(p)]?.globals[key] = value.data
            }
            return out
        }
    }

    /// Every node's population contribution (node → blob), for the periodic merge.
    public func populationContributions() async throws -> [String: Data] {
        try await snapshot { c, l in
            var out: [String: Data] = [:]
            for row in try await c.rows(
                "SELECT node, population FROM node_stats WHERE population IS NOT NULL", logger: l)
            {
                let (node, blob) = try row.decode((String, ByteBuffer).self)
                out[node] = blob.data
            }
            return out
        }
    }

    /// Nodes, leases and the latest `logLimit` log entries, from one snapshot.
    public func clusterStatus(logLimit: Int = 20) async throws -> ClusterStatus {
        try await snapshot { c, l in
            let view = try await Self.view(c, l)
            let partitions = Int(try await Self.meta(MetaKey.partitions, c, l) ?? Int64(view.leases.count))
            let log = try await c.rows(
                "SELECT at, node, kind, detail FROM cluster_log ORDER BY id DESC LIMIT $1",
                [.int(Int64(max(0, logLimit)))], logger: l
            ).map { row in
                let (at, node, kind, detail) = try row.decode((Int64, String, String, String).self)
                return ClusterLogEntry(at: Instant(milliseconds: at), node: node, kind: kind, detail: detail)
            }
            var updated: [String: Instant] = [:]
            for row in try await c.rows("SELECT node, updated_at FROM node_stats", logger: l) {
                let (node, at) = try row.decode((String, Int64).self)
                updated[node] = Instant(milliseconds: at)
            }
            return ClusterStatus(view: view, partitions: partitions, log: log, statsUpdated: updated)
        }
    }

    /// The cluster log's entries of `kind` (all when `nil`), oldest first.
    public func clusterLog(kind: String? = nil) async throws -> [ClusterLogEntry] {
        try await snapshot { c, l in
            try await c.rows(
                "SELECT at, node, kind, detail FROM cluster_log WHERE $1::text IS NULL OR kind = $1 ORDER BY id",
                [.text(kind)], logger: l
            ).map { row in
                let (at, node, kind, detail) = try row.decode((Int64, String, String, String).self)
                return ClusterLogEntry(at: Instant(milliseconds: at), node: node, kind: kind, detail: detail)
            }
        }
    }

    static func view(_ c: PostgresConnection, _ l: Logger) async throws -> ClusterView {
        let now = Instant(
            milliseconds: try await c.rows("SELECT \(nowMilliseconds)", logger: l).first?.decode(Int64.self)
                ?? 0)
        let nodes = try await c.rows(
            """
            SELECT n.node, n.epoch, n.state, n.host, n.pid, n.started_at, n.renewed_at, n.expires_at,
                COALESCE(s.events_applied, 0), s.pending_timers
            FROM cluster_nodes n LEFT JOIN node_stats s ON s.node = n.node ORDER BY n.node
            """, logger: l
        ).map { row in
            let (name, epoch, state, host, pid, started, renewed, expires, applied, timers) = try row.decode(
                (String, Int64, String, String, Int32, Int64, Int64, Int64, Int64, Int64?).self)
            return ClusterNode(
                name: name, epoch: epoch, state: ClusterNode.State(rawValue: state) ?? .dead, host: host,
                pid: pid,
                startedAt: Instant(milliseconds: started), renewedAt: Instant(milliseconds: renewed),
                expiresAt: Instant(milliseconds: expires), eventsApplied: Int(applied),
                pendingTimers: timers.map { Int($0) })
        }
        let leases = try await c.rows(
            """
            SELECT partition, owner, epoch, acquired_at, renewed_at, expires_at FROM cluster_partitions
            ORDER BY partition
            """, logger: l
        ).map { row in
            let (p, owner, epoch, acquired, renewed, expires) = try row.decode(
                (Int32, String?, Int64, Int64?, Int64?, Int64).self)
            return PartitionLease(
                partition: Int(p), owner: owner, epoch: epoch,
                acquiredAt: acquired.map(Instant.init(milliseconds:)),
                renewedAt: renewed.map(Instant.init(milliseconds:)), expiresAt: Instant(milliseconds: expires)
            )
        }
        return ClusterView(now: now, nodes: nodes, leases: leases)
    }

    /// Logs a membership change and tells every node's ``watchCluster(_:)`` (at commit) to rebalance now.
    static func log(_ node: String, _ kind: String, _ detail: String, _ c: PostgresConnection, _ l: Logger)
        async throws
    {
        try await c.rows(
            "INSERT INTO cluster_log (at, node, kind, detail) VALUES (\(nowMilliseconds), $1, $2, $3)",
            [.text(node), .text(kind), .text(detail)], logger: l)
        if kind != "acquired" {
            try await c.rows("SELECT pg_notify('\(notifyChannel)', $1)", [.text(kind)], logger: l)
        }
    }

    static let notifyChannel = "touchpoint_cluster"

    /// Calls `onChange` whenever a node joins, leaves, hands partitions over or is declared dead (`LISTEN`, on a
    /// connection of its own), until the task is cancelled; after a lost connection it connects again. Lets the
    /// nodes rebalance at once instead of at their next renewal.
    public func watchCluster(_ onChange: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try options.connectionConfiguration(), id: 3, logger: logger)
                do {
                    try await connection.listen(on: Self.notifyChannel) { notifications in
                        for try await _ in notifications { onChange() }
                    }
                } catch {}
                try? await connection.close()
            } catch {}
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// `partitions 3, 7-9 (epochs …)` for the log.
    static func describe(_ taken: [Int: Int64]) -> String {
        let sorted = taken.sorted { $0.key < $1.key }
        return describe(sorted.map(\.key)) + " at epoch "
            + sorted.map { "\($0.value)" }.joined(separator: ",")
    }

    /// `partitions 0-3, 7` (runs collapsed).
    public static func describe(_ partitions: [Int]) -> String {
        let sorted = partitions.sorted()
        guard !sorted.isEmpty else { return "no partitions" }
        var runs: [String] = []
        var start = sorted[0]
        var end = start
        for p in sorted.dropFirst() {
            if p == end + 1 {
                end = p
                continue
            }
            runs.append(start == end ? "\(start)" : "\(start)-\(end)")
            start = p
            end = p
        }
        runs.append(start == end ? "\(start)" : "\(start)-\(end)")
        return (sorted.count == 1 ? "partition " : "partitions ") + runs.joined(separator: ", ")
    }
}

extension FileOffset {
    /// Decodes `SELECT <skipped columns>, \(PostgresStore.offsetColumns)`.
    init(postgres row: PostgresRow, skipping: Int) throws {
        let r = row.makeRandomAccess()
        let fingerprint = try r[skipping + 6].decode(Int64?.self)
        self.init(
            path: try r[skipping].decode(String.self),
            offset: UInt64(bitPattern: try r[skipping + 1].decode(Int64.self)),
            line: Int(try r[skipping + 2].decode(Int64.self)),
            inode: UInt64(bitPattern: try r[skipping + 3].decode(Int64.self)),
            size: UInt64(bitPattern: try r[skipping + 4].decode(Int64.self)),
            device: UInt64(bitPattern: try r[skipping + 5].decode(Int64.self)),
            fingerprint: fingerprint.map { UInt64(bitPattern: $0) })
    }
}
