import Foundation
import PostgresTestSupport
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    /// `touchpoint status` against a PostgreSQL cluster store (issue 18): the nodes with their epochs, leases and
    /// partitions, the free partitions, every held partition, the cluster log, and the cluster's outbox. The
    /// cluster is made through the store's own calls (no daemon runs), so what status prints is known exactly.
    @Suite(
        "touchpoint status on a cluster store",
        .enabled(if: TestPostgres.available != nil, "PostgreSQL is not installed"))
    struct ClusterStatusCommandTests {
        /// A customer id that hashes into partition `p` of `count`.
        static func customer(in p: Int, of count: Int) -> String {
            let partitioner = Partitioner(count: count)
            return (0...).lazy.map { "u\($0)" }.first { partitioner.partition(of: $0) == p }!
        }

        /// `renewed 1.6s ago` → 1.6; `lease ends in 8.4s` → -8.4 (ages are positive in the past).
        static func age(_ line: String, after label: String) -> Double? {
            guard let r = line.range(of: label + " ") else { return nil }
            let rest = line[r.upperBound...]
            if rest.hasPrefix("in ") {
                return rest.dropFirst(3).split(separator: "s").first.flatMap { Double($0) }.map { -$0 }
            }
            return rest.split(separator: "s").first.flatMap { Double($0) }
        }

        @Test(
            "status lists each node (alive or lease ran out, epoch, host and pid, lease ages, partitions, events applied), the free partitions, each held partition, the cluster log and the shared outbox"
        )
        func statusOfACluster() async throws {
            let server = try #require(TestPostgres.available)
            let database = try await server.createDatabase()
            var stores: [PostgresStore] = []
            func node(_ name: String, pid: Int32, lease: Int64) async throws -> PostgresStore {
                let store = try await PostgresStore.open(
                    server.options(database: database),
                    cluster: PostgresStore.ClusterSettings(
                        partitions: 4, node: name, leaseMilliseconds: lease))
                stores.append(store)
                try await store.join(host: "shop-\(name)", pid: pid)
                return store
            }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-cstatus-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            do {
                let a = try await node("a", pid: 4101, lease: 60_000)
                let b = try await node("b", pid: 4102, lease: 60_000)
                let heldA = try await a.acquire(count: 2)
                let heldB = try await b.acquire(count: 2)
                #expect(heldA.keys.sorted() == [0, 1] && heldB.keys.sorted() == [2, 3])
                // b hands partition 3 back; c takes it on a one-second lease and then misses its renewals.
                #expect(try await b.release([3: heldB[3]!], reason: "test") == [3])
                let c = try await node("c", pid: 4103, lease: 1_000)
                #expect(try await c.acquire(count: 1).keys.sorted() == [3])

                // a applies 7 events and queues two messages for a customer of its partition 0: one due now, one
                // in an hour; its dispatcher sends the due one.
                let now = wallNow()
                let u = Self.customer(in: 0, of: 4)
                let due = OutboxRow.pending(
                    messageId: "m-due", rule: "thank-you", customer: u, channel: "chat",
                    adapterKind: "webhook",
                    sendAt: Instant(milliseconds: now.milliseconds - 1_000), prepared: Data("x".utf8),
                    createdAt: now)
                let later = OutboxRow.pending(
                    messageId: "m-later", rule: "cart-reminder", customer: u, channel: "chat",
                    adapterKind: "webhook", sendAt: Instant(milliseconds: now.milliseconds + 3_600_000),
                    prepared: Data("y".utf8), createdAt: now)
                var batch = Batch(customers: [u: Data("state".utf8)], outbox: [due, later], eventsApplied: 7)
                batch.fence = heldA
                try await a.commit(batch)
                let claimed = try await a.claimDue(
                    now: wallNow(), limit: 10, leaseOwner: "a", excludingChannels: [])
                #expect(claimed.map(\.messageId) == ["m-due"])
                try await a.recordOutcome(
                    messageId: "m-due", outcome: .delivered(providerId: nil, answer: "HTTP 200"),
                    at: wallNow())
                // c's lease runs out (the server's clock decides, as for the daemons).
                try await Task.sleep(for: .milliseconds(1_500))

                let config = dir.appendingPathComponent("touchpoint.yaml")
                try """
                store: \(server.url(database: database))
                cluster: { partitions: 4, lease: 60s, node: a }
                channels:
                  chat: { kind: file, path: outbox }
                """.write(to: config, atomically: true, encoding: .utf8)
                let r = try CLIRun(
                    ["status", "--config", config.path], environment: ["PGPASSWORD": server.password])
                #expect(r.status == 0, "\(r.all)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                func line(_ prefix: String) -> String? { lines.first { $0.hasPrefix(prefix) } }
                #expect(
                    line("store ")
                        == "store            postgres://touchpoint@127.0.0.1:\(server.port)/\(database)")
                #expect(line("events applied ") == "events applied   7")
                #expect(
                    line("outbox ")
                        == "outbox           pending 1, sending 0, retry 0, delivered 1, dead 0, unknown 0, dropped 0"
                )
                #expect(line("cluster ") == "cluster          4 partitions, 2 live node(s)", "\(r.stdout)")

                let nodeA = try #require(line("node             a  "), "\(r.stdout)")
                #expect(
                    nodeA.hasPrefix("node             a  alive  epoch 1  shop-a pid 4101  renewed "),
                    "\(nodeA)")
                #expect(nodeA.hasSuffix("  2 partition(s): partitions 0-1  7 event(s) applied"), "\(nodeA)")
                let nodeB = try #require(line("node             b  "), "\(r.stdout)")
                #expect(nodeB.hasPrefix("node             b  alive  epoch 1  shop-b pid 4102  "), "\(nodeB)")
                #expect(nodeB.hasSuffix("  1 partition(s): partition 2  0 event(s) applied"), "\(nodeB)")
                let nodeC = try #require(line("node             c  "), "\(r.stdout)")
                #expect(
                    nodeC.hasPrefix("node             c  lease ran out  epoch 1  shop-c pid 4103  "),
                    "\(nodeC)")
                #expect(nodeC.hasSuffix("  0 partition(s)  0 event(s) applied"), "\(nodeC)")
                // Lease ages: renewed in the past; a and b's leases end within their 60 s, c's ended in the past.
                for (text, lease) in [(nodeA, 60.0), (nodeB, 60.0)] {
                    let renewed = try #require(Self.age(text, after: "renewed"), "\(text)")
                    let ends = try #require(Self.age(text, after: "lease ends"), "\(text)")
                    #expect(renewed >= 0 && ends < 0 && -ends <= lease, "\(text)")
                }
                let cEnds = try #require(Self.age(nodeC, after: "lease ends"), "\(nodeC)")
                #expect(cEnds > 0, "\(nodeC)")

                #expect(line("free ") == "free             partition 3", "\(r.stdout)")
                let partitions = lines.filter { $0.hasPrefix("partition ") }
                #expect(partitions.count == 3, "\(r.stdout)")
                for (p, owner) in [(0, "a"), (1, "a"), (2, "b")] {
                    let held = partitions.first { $0.hasPrefix("partition        \(p)  \(owner)  epoch ") }
                    #expect(
                        held?.contains(" acquired ") == true && held?.contains(", renewed ") == true,
                        "\(r.stdout)")
                }
                let log = try #require(lines.firstIndex(of: "cluster log (newest first):"), "\(r.stdout)")
                let entries = lines[(log + 1)...]
                #expect(
                    entries.contains { $0.contains("  a  joined  epoch 1 on shop-a pid 4101") }, "\(r.stdout)"
                )
                #expect(entries.contains { $0.contains("  b  released  partition 3 (test)") }, "\(r.stdout)")
                #expect(
                    entries.contains { $0.contains("  c  acquired  partition 3 at epoch ") }, "\(r.stdout)")
            } catch {
                for s in stores { await s.close() }
                await server.dropDatabase(database)
                throw error
            }
            for s in stores { await s.close() }
            await server.dropDatabase(database)
        }
    }
}

extension DaemonSuite {
    /// `touchpoint check` on a config whose `store:` or `cluster:` is refused: positioned errors, exit 1, in text
    /// and JSON (no server needed: nothing connects).
    @Suite("touchpoint check on store and cluster config") struct StoreConfigCheckTests {
        @Test("a bad pool, a bad partition count and a cluster on SQLite are check errors at their places")
        func positionedErrors() throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-scheck-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            for folder in ["rules", "templates"] {
                try FileManager.default.copyItem(
                    at: Paths.packageRoot.appendingPathComponent(folder),
                    to: dir.appendingPathComponent(folder))
            }
            let postgres = dir.appendingPathComponent("pg.yaml")
            try """
            rules: rules
            templates: templates
            store: { kind: postgres, url: "postgres://tp@db/shop", pool: 0 }
            cluster: { partitions: 0, node: a }

            """.write(to: postgres, atomically: true, encoding: .utf8)
            let r = try CLIRun(["check", "--config", postgres.path])
            #expect(r.status == 1, "\(r.all)")
            #expect(
                r.all.contains("\(postgres.path):3:62: error: 'pool' must be 1 to 1000 connections"),
                "\(r.all)")
            #expect(
                r.all.contains("\(postgres.path):4:24: error: 'partitions' must be 1 to 4096"), "\(r.all)")
            #expect(r.all.contains("; 2 errors, "), "\(r.all)")

            let sqlite = dir.appendingPathComponent("sqlite.yaml")
            try "rules: rules\ntemplates: templates\ncluster: { partitions: 16, node: a }\n".write(
                to: sqlite, atomically: true, encoding: .utf8)
            let json = try CLIRun(["check", "--config", sqlite.path, "--format", "json"])
            #expect(json.status == 1, "\(json.all)")
            let first = try #require(
                json.stdout.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first { $0["code"] as? String == "cluster-needs-postgres" }, "\(json.all)")
            #expect(first["line"] as? Int == 3 && first["column"] as? Int == 10)
            #expect(first["severity"] as? String == "error")
            #expect((first["file"] as? String)?.hasSuffix("sqlite.yaml") == true)
        }
    }
}
