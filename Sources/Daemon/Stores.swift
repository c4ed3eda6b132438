import Foundation
import Logging
import Rules
import Store
import TouchpointCore

/// The store a config names, opened: the SQLite file, or the PostgreSQL database (SPEC §10).
public struct OpenedStore: Sendable {
    /// The store behind the protocol every part uses.
    public let store: any StateStore
    /// The same store when it is PostgreSQL (cluster status, the cluster's own operations).
    public let postgres: PostgresStore?

    /// Closes a PostgreSQL pool; nothing to do for SQLite.
    public func close() async { await postgres?.close() }
}

/// Opening stores by config, for the daemon and the tools (`status`, `outbox retry`).
public enum Stores {
    /// Opens the configured store as a tool does: no daemon lock, no cluster membership. A SQLite store that does
    /// not exist yet is `nil` (tools never create one).
    public static func open(_ config: Config, logger: Logger = Logger(label: "touchpoint.store")) async throws
        -> OpenedStore?
    {
        if let pg = config.postgres {
            let store = try await PostgresStore.open(
                options(pg, cluster: config.cluster), cluster: settings(config.cluster), logger: logger)
            return OpenedStore(store: store, postgres: store)
        }
        guard FileManager.default.fileExists(atPath: config.storePath) else { return nil }
        return OpenedStore(store: try SQLiteStore(path: config.storePath), postgres: nil)
    }

    /// The PostgreSQL store's options from the config. In a cluster a session left idle inside a transaction is
    /// ended after half a lease: a paused node's locks must not stall the others past their own leases.
    static func options(_ pg: PostgresConfig, cluster: ClusterConfig?) -> PostgresStore.Options {
        let tls: PostgresStore.Options.TLS =
            switch pg.tls {
            case .disable: .disable
            case .prefer: .prefer
            case .require: .require
            }
        return PostgresStore.Options(
            host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database,
            tls: tls,
            pool: pg.pool,
            idleInTransactionTimeoutMilliseconds: cluster.map { max(1_000, $0.lease.milliseconds / 2) }
                ?? 60_000)
    }

    /// The store's cluster settings from the config's `cluster:` block.
    static func settings(_ cluster: ClusterConfig?) -> PostgresStore.ClusterSettings? {
        cluster.map {
            PostgresStore.ClusterSettings(
                partitions: $0.partitions, node: $0.node, leaseMilliseconds: $0.lease.milliseconds)
        }
    }
}
