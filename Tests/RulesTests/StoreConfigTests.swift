import Foundation
import Testing
import TouchpointCore

@testable import Rules

/// `store:` as a PostgreSQL URL or mapping and `cluster:` (SPEC §10): what they load to, and every refusal as
/// a diagnostic at its place.
@Suite("Store and cluster config")
struct StoreConfigTests {
    static func errors(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        Config.parse(yaml: yaml, path: "c.yaml", environment: environment).1.map(\.description)
    }

    @Test("the mapping form: url, pool, sslmode; the password from the URL, the mapping's place kept")
    func mappingForm() throws {
        let (config, diagnostics) = Config.parse(
            yaml: """
                rules: rules
                store: { kind: postgres, url: "postgres://tp:s%40cret@db.example:6543/shop?sslmode=require", pool: 12 }
                """, path: "c.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let pg = try #require(config.postgres)
        #expect(pg.host == "db.example" && pg.port == 6543 && pg.user == "tp" && pg.database == "shop")
        #expect(pg.password == "s@cret")
        #expect(pg.tls == .require && pg.pool == 12)
        #expect(pg.location.description == "c.yaml:2:8")
        #expect(pg.display == "postgres://tp@db.example:6543/shop")
        #expect(config.storeDescription == "postgres://tp@db.example:6543/shop")
        #expect(config.cluster == nil)
    }

    @Test(
        "defaults: port 5432, database named after the user, pool 8, sslmode prefer, PGPASSWORD for the password"
    )
    func defaults() throws {
        let (config, diagnostics) = Config.parse(
            yaml: "store: { kind: postgresql, url: \"postgresql://tp@db\" }\n", path: "c.yaml",
            environment: ["PGPASSWORD": "from-env"])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let pg = try #require(config.postgres)
        #expect(pg.port == 5432 && pg.database == "tp" && pg.pool == 8 && pg.tls == .prefer)
        #expect(pg.password == "from-env")
        let (url, _) = Config.parse(
            yaml: "store: postgres://tp:inline@[::1]:5433/shop\n", path: "c.yaml",
            environment: ["PGPASSWORD": "from-env"])
        #expect(url.postgres?.password == "inline", "the URL's password wins over PGPASSWORD")
        #expect(url.postgres?.host == "::1" && url.postgres?.port == 5433)
        #expect(url.postgres?.display == "postgres://tp@[::1]:5433/shop")
        let (sqlite, none) = Config.parse(
            yaml: "store: { kind: sqlite, path: s.sqlite }\n", path: "/etc/c.yaml")
        #expect(none.isEmpty && sqlite.postgres == nil && sqlite.storePath == "/etc/s.sqlite")
    }

    @Test("the mapping form's errors name their place: keys of the other kind, a missing url, pool, kind")
    func mappingErrors() {
        #expect(
            Self.errors("store: { kind: postgres, url: \"postgres://tp@db/shop\", pool: 0 }\n") == [
                "c.yaml:1:62: error: 'pool' must be 1 to 1000 connections"
            ])
        #expect(
            Self.errors("store: { kind: postgres, url: \"postgres://tp@db/shop\", pool: many }\n").count == 1)
        #expect(
            Self.errors("store: { kind: postgres, path: s.sqlite, url: \"postgres://tp@db/shop\" }\n") == [
                "c.yaml:1:26: error: 'path' is a sqlite store's key; a postgres store takes 'url'"
            ])
        #expect(
            Self.errors("store: { kind: sqlite, path: s.sqlite, pool: 3 }\n") == [
                "c.yaml:1:40: error: 'pool' is a postgres store's key; a sqlite store takes 'path'"
            ])
        #expect(
            Self.errors("store: { kind: postgres }\n") == [
                "c.yaml:1:8: error: missing required key 'url' in store"
            ])
        #expect(
            Self.errors("store: { kind: postgress, url: \"postgres://tp@db/shop\" }\n") == [
                "c.yaml:1:16: error: unknown store kind 'postgress'; did you mean 'postgres'?"
            ])
        #expect(
            Self.errors("store: { kind: redis, url: x }\n") == [
                "c.yaml:1:16: error: unknown store kind 'redis'; use sqlite or postgres"
            ])
        let unknown = Self.errors("store: { kind: postgres, url: \"postgres://tp@db/shop\", user: tp }\n")
        #expect(unknown.count == 1 && unknown[0].hasPrefix("c.yaml:1:56: error: unknown key 'user' in store"))
    }

    @Test("a URL that is not one is refused at the value, its password never printed")
    func urlErrors() {
        #expect(
            Self.errors("store: \"postgres://tp:hunter2@db:0/shop\"\n") == [
                "c.yaml:1:8: error: bad port in postgres://tp:***@db:0/shop"
            ])
        #expect(
            Self.errors("store: postgres://db/shop\n") == [
                "c.yaml:1:8: error: postgres://db/shop names no user (write postgres://user@host:port/db)"
            ])
        #expect(
            Self.errors("store: postgres://tp@/shop\n") == [
                "c.yaml:1:8: error: postgres://tp@/shop names no host (write postgres://user@host:port/db)"
            ])
        #expect(
            Self.errors("store: postgres://tp@db/shop?sslmod=disable\n") == [
                "c.yaml:1:8: error: unknown URL parameter 'sslmod'; did you mean 'sslmode'?"
            ])
        #expect(
            Self.errors("store: postgres://tp@db/shop?sslmode=verify\n") == [
                "c.yaml:1:8: error: unknown sslmode 'verify'; use disable, prefer or require"
            ])
        #expect(
            Self.errors("store: \"mysql://tp:hunter2@db/shop\"\n") == [
                "c.yaml:1:8: error: 'store' is a SQLite file path or a postgres:// URL, found mysql://tp:***@db/shop"
            ])
        #expect(
            Self.errors("store: { kind: postgres, url: \"postgres://tp:hunter2@[db/shop\" }\n") == [
                "c.yaml:1:31: error: unterminated '[' in the host of postgres://tp:***@[db/shop"
            ])
        let all =
            Self.errors("store: \"postgres://tp:hunter2@db:0/shop\"\n")
            + Self.errors(
                "store: \"mysql://tp:hunter2@db/shop\"\n")
        #expect(!all.joined().contains("hunter2"))
    }

    @Test("cluster: the block's values, ${VAR} in the node name, and none/false/null for no cluster")
    func clusterBlock() throws {
        let (config, diagnostics) = Config.parse(
            yaml: """
                store: postgres://tp@db/shop
                cluster: { partitions: 16, lease: 3s, node: "${TP_NODE}", stats-every: 2s }
                """, path: "c.yaml", environment: ["TP_NODE": "node-a"])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let cluster = try #require(config.cluster)
        #expect(cluster.partitions == 16 && cluster.node == "node-a")
        #expect(cluster.lease == TimeSpan(seconds: 3) && cluster.statsEvery == TimeSpan(seconds: 2))
        #expect(cluster.location.description == "c.yaml:2:10")
        let (plain, none) = Config.parse(yaml: "store: postgres://tp@db/shop\ncluster: {}\n", path: "c.yaml")
        #expect(none.isEmpty)
        #expect(plain.cluster?.partitions == 64 && plain.cluster?.lease == TimeSpan(seconds: 10))
        #expect(plain.cluster?.statsEvery == TimeSpan(seconds: 30))
        #expect(plain.cluster?.node == ClusterConfig.hostName())
        for off in ["none", "false", "off", ""] {
            let (c, d) = Config.parse(yaml: "cluster: \(off)\n", path: "c.yaml")
            #expect(d.isEmpty && c.cluster == nil, "cluster: \(off)")
        }
    }

    @Test("cluster errors name their place: a SQLite store, bad values, an unknown key")
    func clusterErrors() {
        let sqlite = Config.parse(yaml: "store: s.sqlite\ncluster: { partitions: 16 }\n", path: "c.yaml").1
        #expect(
            sqlite.map(\.description) == [
                "c.yaml:2:10: error: 'cluster' needs a PostgreSQL store (store: postgres://user@host:port/db); a SQLite file is one daemon's"
            ])
        #expect(sqlite.first?.code == "cluster-needs-postgres")
        // Without any store line the default is the SQLite file: the same refusal.
        #expect(Self.errors("cluster: { node: a }\n").count == 1)
        // A bad URL is its own error; the cluster block is not refused a second time for it.
        #expect(
            Self.errors("store: postgres://db/shop\ncluster: { node: a }\n") == [
                "c.yaml:1:8: error: postgres://db/shop names no user (write postgres://user@host:port/db)"
            ])
        #expect(
            Self.errors(
                """
                store: postgres://tp@db/shop
                cluster: { partitions: 0, lease: 0s, node: "a b", stats-every: 0s }
                """) == [
                    "c.yaml:2:24: error: 'partitions' must be 1 to 4096",
                    "c.yaml:2:34: error: 'lease' must be at least 1s (it is renewed every third of it)",
                    "c.yaml:2:64: error: 'stats-every' must be at least 1s",
                    "c.yaml:2:44: error: 'node' must be 1 to 63 characters without spaces, '/' or '#' (it names this node in the cluster)",
                ])
        #expect(
            Self.errors("store: postgres://tp@db/shop\ncluster: { partitions: 5000 }\n") == [
                "c.yaml:2:24: error: 'partitions' must be 1 to 4096"
            ])
        let unknown = Self.errors("store: postgres://tp@db/shop\ncluster: { leas: 10s }\n")
        #expect(
            unknown.count == 1
                && unknown[0].hasPrefix(
                    "c.yaml:2:12: error: unknown key 'leas' in cluster; did you mean 'lease'?"),
            "\(unknown)")
    }
}
