import Foundation
import PostgresNIO
import TouchpointCore

extension PostgresStore {
    /// Commits one batch in a single transaction; any failing statement rolls back all of it.
    ///
    /// In a cluster the batch's fence is checked first, under a share lock on each partition's lease row: a
    /// takeover (which updates that row) waits for this commit, or this commit sees the takeover's epoch and
    /// is refused. So a node that lost a partition can never commit over its successor.
    @discardableResult
    public func commit(_ batch: Batch) async throws -> CommitReport {
        let cluster = self.cluster
        if cluster == nil, batch.usesCluster {
            throw StoreError.io(
                "this PostgreSQL store has no cluster settings; the batch is a cluster node's")
        }
        if let cluster { try Self.checkPartitions(of: batch, cluster: cluster) }
        do {
            return try await recordingTransaction { c, l in
                if let cluster, let fence = batch.fence {
                    try await Self.checkFence(fence, node: cluster.node, c, l)
                }
                return try await Self.apply(batch, cluster: cluster, c, l)
            }
        } catch let StoreError.fenced(why) {
            await recordRefusal("commit", why)
            throw StoreError.fenced(why)
        }
    }

    /// Every customer-keyed part of a cluster batch belongs to a partition it is fenced for.
    static func checkPartitions(of batch: Batch, cluster: ClusterSettings) throws {
        let partitioner = cluster.partitioner
        let fenced = batch.fence ?? [:]
        func check(_ customer: String, _ what: String) throws {
            let p = partitioner.partition(of: customer)
            guard fenced[p] != nil else {
                throw StoreError.io(
                    "cluster batch holds \(what) of partition \(p), which it is not fenced for (a bug; nothing committed)"
                )
            }
        }
        for id in batch.customers.keys { try check(id, "a customer") }
        for id in batch.removedCustomers { try check(id, "a removed customer") }
        for r in batch.outbox { try check(r.customer, "an outbox row") }
        for d in batch.dropped + batch.withdrawn { try check(d.customer, "a dropped message") }
        for p in Set(batch.partitionOffsets.keys).union(batch.removedPartitionOffsets.keys).union(
            batch.partitionGlobals.keys) where fenced[p] == nil
        {
            throw StoreError.io("cluster batch holds offsets of partition \(p), which it is not fenced for")
        }
        if !batch.offsets.isEmpty || !batch.removedOffsets.isEmpty {
            throw StoreError.io("a cluster node keeps offsets per partition (partitionOffsets), not per file")
        }
    }

    /// Throws ``StoreError/fenced(_:)`` unless `node` holds every partition of `fence` at its epoch; locks the
    /// lease rows (shared) until the transaction ends.
    static func checkFence(_ fence: [Int: Int64], node: String, _ c: PostgresConnection, _ l: Logger)
        async throws
    {
        guard !fence.isEmpty else { return }
        let partitions = fence.keys.sorted()
        let rows = try await c.rows(
            """
            SELECT partition, owner, epoch FROM cluster_partitions WHERE partition = ANY($1::int4[])
            ORDER BY partition FOR SHARE
            """, [.int32s(partitions.map { Int32($0) })], logger: l)
        var found: [Int: (owner: String?, epoch: Int64)] = [:]
        for row in rows {
            let (p, owner, epoch) = try row.decode((Int32, String?, Int64).self)
            found[Int(p)] = (owner, epoch)
        }
        for p in partitions {
            let mine = fence[p]!
            guard let current = found[p] else {
                throw StoreError.fenced("partition \(p) does not exist in this cluster store")
            }
            guard current.owner == node, current.epoch == mine else {
                let holder = current.owner.map { "held by \($0)" } ?? "free"
                throw StoreError.fenced(
                    "partition \(p) is \(holder) at epoch \(current.epoch); \(node) wrote under epoch \(mine)"
                )
            }
        }
    }

    // `ON CONFLICT … DO NOTHING` for rows that must not be reset by a replay, as in the SQLite store; CHECK and
    // NOT NULL violations still fail the batch.
    static func apply(
        _ batch: Batch, cluster: ClusterSettings?, _ c: PostgresConnection, _ l: Logger
    ) async throws -> CommitReport {
        var report = CommitReport()
        let partitioner = cluster?.partitioner ?? Partitioner(count: 1)
        if !batch.customers.isEmpty {
            var ids: [ByteBuffer] = []
            var hashes: [Int64] = []
            var partitions: [Int32] = []
            var states: [ByteBuffer] = []
            for (id, state) in batch.customers {
                ids.append(id.exactText.buffer)
                let hash = Partitioner.keyHash(id)
                hashes.append(hash)
                partitions.append(Int32(hash % Int64(partitioner.count)))
                states.append(state.buffer)
            }
            try await c.rows(
                """
                INSERT INTO customers (id, key_hash, partition, state)
                SELECT * FROM unnest($1::bytea[], $2::int8[], $3::int4[], $4::bytea[])
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, partition = excluded.partition
                """, [.bytesArray(ids), .ints(hashes), .int32s(partitions), .bytesArray(states)], logger: l)
        }
        if !batch.removedCustomers.isEmpty {
            try await c.rows(
                "DELETE FROM customers WHERE id = ANY($1::bytea[])",
                [.bytesArray(batch.removedCustomers.map { $0.exactText.buffer })], logger: l)
        }
        if !batch.globals.isEmpty {
            let sorted = batch.globals.sorted { $0.key < $1.key }
            try await c.rows(
                """
                INSERT INTO globals (key, value) SELECT * FROM unnest($1::text[], $2::bytea[])
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, [.texts(sorted.map(\.key)), .bytesArray(sorted.map(\.value.buffer))], logger: l)
        }
        if !batch.seenMessageIds.isEmpty {
            let rows = try await c.rows(
                """
                INSERT INTO seen_messages (id, seen_at) SELECT * FROM unnest($1::bytea[], $2::int8[])
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """,
                [
                    .bytesArray(batch.seenMessageIds.map { $0.id.exactText.buffer }),
                    .ints(batch.seenMessageIds.map(\.at.milliseconds)),
                ], logger: l)
            report.seenInserted += rows.count
        }
        if !batch.removedOffsets.isEmpty {
            try await c.rows(
                "DELETE FROM file_offsets WHERE path = ANY($1::text[])", [.texts(batch.removedOffsets)],
                logger: l)
        }
        if !batch.offsets.isEmpty {
            try await upsertOffsets(batch.offsets, partition: nil, c, l)
        }
        for (partition, paths) in batch.removedPartitionOffsets where !paths.isEmpty {
            try await c.rows(
                "DELETE FROM partition_offsets WHERE partition = $1 AND path = ANY($2::text[])",
                [.int32(Int32(partition)), .texts(paths)], logger: l)
        }
        for (partition, offsets) in batch.partitionOffsets.sorted(by: { $0.key < $1.key })
        where !offsets.isEmpty {
            try await upsertOffsets(offsets, partition: partition, c, l)
        }
        for (partition, globals) in batch.partitionGlobals.sorted(by: { $0.key < $1.key })
        where !globals.isEmpty {
            let sorted = globals.sorted { $0.key < $1.key }
            try await c.rows(
                """
                INSERT INTO partition_globals (partition, key, value)
                SELECT $1, * FROM unnest($2::text[], $3::bytea[])
                ON CONFLICT (partition, key) DO UPDATE SET value = excluded.value
                """,
                [
                    .int32(Int32(partition)), .texts(sorted.map(\.key)),
                    .bytesArray(sorted.map(\.value.buffer)),
                ],
                logger: l)
        }
        if !batch.quarantine.isEmpty {
            try await c.rows(
                """
                INSERT INTO quarantine (path, line, reason, raw, at)
                SELECT path, line, reason, raw, at
                FROM unnest($1::text[], $2::int8[], $3::text[], $4::bytea[], $5::int8[]) WITH ORDINALITY
                    AS q(path, line, reason, raw, at, n)
                ORDER BY n
                """,
                [
                    .texts(batch.quarantine.map(\.path)), .ints(batch.quarantine.map { Int64($0.line) }),
                    .texts(batch.quarantine.map(\.reason)), .bytesArray(batch.quarantine.map(\.raw.buffer)),
                    .ints(batch.quarantine.map(\.at.milliseconds)),
                ], logger: l)
        }
        if !batch.outbox.isEmpty {
            let inserted = try await insertOutbox(batch.outbox, c, l)
            report.outboxInserted += inserted
            report.outboxIgnored += batch.outbox.count - inserted
        }
        if !batch.dropped.isEmpty {
            report.droppedInserted += try await insertDropped(batch.dropped, c, l)
        }
        if !batch.withdrawn.isEmpty {
            let rows = try await c.rows(
                """
                UPDATE outbox o SET state = 'dropped', reason = w.reason, updated_at = w.at
                FROM unnest($1::text[], $2::text[], $3::int8[]) AS w(id, reason, at)
                WHERE o.message_id = w.id AND o.state IN ('pending', 'retry')
                RETURNING o.message_id
                """,
                [
                    .texts(batch.withdrawn.map(\.messageId)), .texts(batch.withdrawn.map(\.reason)),
                    .ints(batch.withdrawn.map(\.at.milliseconds)),
                ], logger: l)
            let withdrawn = Set(try rows.map { try $0.decode(String.self) })
            report.withdrawn += withdrawn.count
            let records = batch.withdrawn.filter { withdrawn.contains($0.messageId) }
            if !records.isEmpty { report.droppedInserted += try await insertDropped(records, c, l) }
        }
        if let cluster, batch.eventsApplied != 0 || batch.pendingTimers != nil || batch.nodePopulation != nil
        {
            try await c.rows(
                """
                INSERT INTO node_stats (node, events_applied, pending_timers, population, updated_at)
                VALUES ($1, $2, $3, $4, \(nowMilliseconds))
                ON CONFLICT (node) DO UPDATE SET events_applied = node_stats.events_applied + excluded.events_applied,
                    pending_timers = COALESCE(excluded.pending_timers, node_stats.pending_timers),
                    population = COALESCE(excluded.population, node_stats.population),
                    updated_at = excluded.updated_at
                """,
                [
                    .text(cluster.node), .int(Int64(batch.eventsApplied)),
                    .int(batch.pendingTimers.map(Int64.init)),
                    batch.nodePopulation.map { .bytes($0.buffer) } ?? .null,
                ], logger: l)
        } else {
            if batch.eventsApplied != 0 {
                try await c.rows(
                    """
                    INSERT INTO meta (key, value) VALUES ($1, $2)
                    ON CONFLICT (key) DO UPDATE SET value = meta.value + excluded.value
                    """, [.text(MetaKey.eventsApplied), .int(Int64(batch.eventsApplied))], logger: l)
            }
            if let timers = batch.pendingTimers {
                try await setMeta(MetaKey.pendingTimers, Int64(timers), c, l)
            }
        }
        return report
    }

    static func upsertOffsets(
        _ offsets: [FileOffset], partition: Int?, _ c: PostgresConnection, _ l: Logger
    ) async throws {
        // One row per path: a later entry wins, as sequential upserts would have it.
        var byPath: [String: FileOffset] = [:]
        for o in offsets { byPath[o.path] = o }
        let rows = byPath.values.sorted { $0.path < $1.path }
        var fingerprints = OptionalInts()
        for o in rows { fingerprints.append(o.fingerprint.map { Int64(bitPattern: $0) }) }
        let columns: [SQLValue] = [
            .texts(rows.map(\.path)), .ints(rows.map { Int64(bitPattern: $0.offset) }),
            .ints(rows.map { Int64($0.line) }), .ints(rows.map { Int64(bitPattern: $0.inode) }),
            .ints(rows.map { Int64(bitPattern: $0.size) }), .ints(rows.map { Int64(bitPattern: $0.device) }),
            .ints(fingerprints.values), .int(OptionalInts.null),
        ]
        let select = """
            SELECT p, o, n, i, s, d, NULLIF(f, $8)
            FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
                AS x(p, o, n, i, s, d, f)
            """
        let set = """
            byte_offset = excluded.byte_offset, line = excluded.line, inode = excluded.inode, size = excluded.size,
            device = excluded.device, fingerprint = excluded.fingerprint
            """
        if let partition {
            try await c.rows(
                """
                INSERT INTO partition_offsets (partition, path, byte_offset, line, inode, size, device, fingerprint)
                SELECT $9, x.* FROM (\(select)) AS x
                ON CONFLICT (partition, path) DO UPDATE SET \(set)
                """, columns + [.int32(Int32(partition))], logger: l)
        } else {
            try await c.rows(
                """
                INSERT INTO file_offsets (path, byte_offset, line, inode, size, device, fingerprint)
                \(select)
                ON CONFLICT (path) DO UPDATE SET \(set)
                """, columns, logger: l)
        }
    }

    /// Inserts new outbox rows, ignoring ids already there; returns how many were inserted.
    static func insertOutbox(_ rows: [OutboxRow], _ c: PostgresConnection, _ l: Logger) async throws -> Int {
        var lastAnswer = OptionalTexts()
        var providerId = OptionalTexts()
        var reason = OptionalTexts()
        var leaseOwner = OptionalTexts()
        var expires = OptionalInts()
        for r in rows {
            lastAnswer.append(r.lastAnswer)
            providerId.append(r.providerId)
            reason.append(r.reason)
            leaseOwner.append(r.leaseOwner)
            expires.append(r.expiresAt?.milliseconds)
        }
        let inserted = try await c.rows(
            """
            INSERT INTO outbox (message_id, rule, customer, channel, adapter_kind, send_at, prepared, state, attempts,
                attempts_at_requeue, next_attempt_at, last_answer, provider_id, reason, lease_owner, created_at,
                updated_at, expires_at)
            SELECT id, rule, customer, channel, kind, send_at, prepared, state, attempts, requeue, next_at,
                CASE WHEN an THEN NULL ELSE answer END, CASE WHEN pn THEN NULL ELSE provider END,
                CASE WHEN rn THEN NULL ELSE reason END, CASE WHEN ln THEN NULL ELSE owner END,
                created, updated, NULLIF(expires, $23)
            FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::int8[], $7::bytea[],
                $8::text[], $9::int4[], $10::int4[], $11::int8[], $12::text[], $13::bool[], $14::text[], $15::bool[],
                $16::text[], $17::bool[], $18::text[], $19::bool[], $20::int8[], $21::int8[], $22::int8[])
                WITH ORDINALITY AS r(id, rule, customer, channel, kind, send_at, prepared, state, attempts, requeue,
                    next_at, answer, an, provider, pn, reason, rn, owner, ln, created, updated, expires, n)
            ORDER BY n
            ON CONFLICT (message_id) DO NOTHING
            RETURNING 1
            """,
            [
                .texts(rows.map(\.messageId)), .texts(rows.map(\.rule)),
                .bytesArray(rows.map { $0.customer.exactText.buffer }), .texts(rows.map(\.channel)),
                .texts(rows.map(\.adapterKind)), .ints(rows.map(\.sendAt.milliseconds)),
                .bytesArray(rows.map(\.prepared.buffer)), .texts(rows.map(\.state.rawValue)),
                .int32s(rows.map { Int32($0.attempts) }), .int32s(rows.map { Int32($0.attemptsAtRequeue) }),
                .ints(rows.map(\.nextAttemptAt.milliseconds)), .texts(lastAnswer.values),
                .bools(lastAnswer.nulls),
                .texts(providerId.values), .bools(providerId.nulls), .texts(reason.values),
                .bools(reason.nulls),
                .texts(leaseOwner.values), .bools(leaseOwner.nulls),
                .ints(rows.map(\.createdAt.milliseconds)),
                .ints(rows.map(\.updatedAt.milliseconds)), .ints(expires.values), .int(OptionalInts.null),
            ], logger: l)
        return inserted.count
    }

    /// Records dropped messages unless their ids are already recorded; returns how many were inserted.
    static func insertDropped(_ records: [DroppedMessage], _ c: PostgresConnection, _ l: Logger) async throws
        -> Int
    {
        var detail = OptionalTexts()
        for d in records { detail.append(d.detail) }
        return try await c.rows(
            """
            INSERT INTO dropped (message_id, rule, customer, reason, detail, at)
            SELECT id, rule, customer, reason, CASE WHEN dn THEN NULL ELSE detail END, at
            FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::bool[], $7::int8[])
                WITH ORDINALITY AS d(id, rule, customer, reason, detail, dn, at, n)
            ORDER BY n
            ON CONFLICT (message_id) DO NOTHING
            RETURNING 1
            """,
            [
                .texts(records.map(\.messageId)), .texts(records.map(\.rule)),
                .bytesArray(records.map { $0.customer.exactText.buffer }), .texts(records.map(\.reason)),
                .texts(detail.values), .bools(detail.nulls), .ints(records.map(\.at.milliseconds)),
            ], logger: l
        ).count
    }

    static func setMeta(_ key: String, _ value: Int64, _ c: PostgresConnection, _ l: Logger) async throws {
        try await c.rows(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [.text(key), .int(value)], logger: l)
    }
}
