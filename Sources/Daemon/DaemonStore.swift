import Engine
import Foundation
import Logging
import Rules
import Store
import Synchronization
import TouchpointCore

/// The daemon's hold on its store: the SQLite file's lock, a single daemon's advisory lock on PostgreSQL, or a
/// cluster node's membership (SPEC §10). Each refuses a second daemon where the store admits one.
struct DaemonStore: Sendable {
    let store: any StateStore
    let postgres: PostgresStore?
    let cluster: ClusterConfig?
    /// The SQLite lock, held for the process's life.
    let lock: StoreLock?

    /// Opens and claims the configured store; `StartupError` when another daemon holds it.
    static func open(project: Project, options: DaemonOptions, logger: Logger, clock: @Sendable () -> Instant)
        async throws -> DaemonStore
    {
        let config = project.config
        guard let pg = config.postgres else {
            let lock: StoreLock
            do {
                lock = try StoreLock(storePath: config.storePath, owner: options.leaseOwner, at: clock())
            } catch let inUse as StoreLock.InUse {
                throw Daemon.StartupError(diagnostics: [.error("store-in-use", inUse.description, at: nil)])
            }
            return DaemonStore(
                store: try SQLiteStore(path: config.storePath), postgres: nil, cluster: nil, lock: lock)
        }
        var storeLogger = logger
        storeLogger[metadataKey: "store"] = "\(pg.display)"
        let store: PostgresStore
        do {
            store = try await PostgresStore.open(
                Stores.options(pg, cluster: config.cluster), cluster: Stores.settings(config.cluster),
                logger: storeLogger)
        } catch {
            throw Daemon.StartupError(diagnostics: [
                .error("store-unavailable", config.redact("\(error)"), at: pg.location)
            ])
        }
        do {
            if let cluster = config.cluster {
                let epoch = try await store.join(host: ClusterConfig.hostName(), pid: getpid())
                logger.notice(
                    "joined the cluster",
                    metadata: [
                        "cluster.node": "\(cluster.node)", "cluster.epoch": "\(epoch)",
                        "cluster.partitions": "\(cluster.partitions)",
                    ])
            } else {
                try await store.lockSingleDaemon(
                    options: Stores.options(pg, cluster: nil), owner: options.leaseOwner)
            }
        } catch StoreError.inUse(let why) {
            await store.close()
            throw Daemon.StartupError(diagnostics: [.error("store-in-use", why, at: nil)])
        } catch {
            await store.close()
            throw error
        }
        return DaemonStore(store: store, postgres: store, cluster: config.cluster, lock: nil)
    }

    /// What start-up needs to know of the store: everything for one daemon; for a cluster node only the counts
    /// (it loads the partitions it takes over, as it takes them).
    func startState() async throws -> StoredState {
        guard cluster != nil, let postgres else { return try await store.load() }
        return try await postgres.summary()
    }

    /// Closes the PostgreSQL pool, waiting at most `seconds`: a connection left mid-query by a node that was paused
    /// past its lease (its session ended by the server) can keep the pool's close waiting, and a daemon that is
    /// stopping must still exit. The process ends right after, which closes whatever is left.
    func close(seconds: Double = 5) async {
        guard let postgres else { return }
        let done = Once()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            @Sendable func finish() { if done.first() { continuation.resume() } }
            Task {
                await postgres.close()
                finish()
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                finish()
            }
        }
    }
}

/// True for the first caller only.
private final class Once: Sendable {
    private let taken = Mutex(false)
    func first() -> Bool {
        taken.withLock { was in
            defer { was = true }
            return !was
        }
    }
}
