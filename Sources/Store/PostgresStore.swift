import Foundation
import Logging
import PostgresNIO
import Synchronization
import TouchpointCore

/// ``StateStore`` over PostgreSQL through postgres-nio's `PostgresClient` (a connection pool): the same
/// schema ideas as ``SQLiteStore`` (every method one transaction; migrations registered once, never edited),
/// for a store that outlives one machine (SPEC §10).
///
/// Without a cluster, one daemon holds the store: a session advisory lock on a connection of its own, which
/// the server drops when that connection ends however the process ends (`kill -9` included). With a cluster
/// (``ClusterSettings``), several daemons share it: each registers as a node under an epoch and holds
/// partitions under leases with epochs of their own (``PostgresStore/join(host:pid:at:)`` and the other
/// cluster methods); every write of a node is checked against those epochs in its own transaction, so a
/// node that lost them can never commit.
///
/// Lease times are the server's clock (`clock_timestamp()`), never a node's: nodes need not agree on the time.
public final class PostgresStore: StateStore {
    /// Where the server is and how to reach it.
    public struct Options: Sendable {
        /// How the connection is encrypted.
        public enum TLS: Sendable, Hashable {
            /// Plain TCP.
            case disable
            /// TLS when the server offers it.
            case prefer
            /// TLS or nothing.
            case require
        }

        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var tls: TLS
        /// Connections at most.
        public var pool: Int
        /// The server ends a session left idle inside a transaction this long (a paused node's locks must not
        /// hold the others up); milliseconds.
        public var idleInTransactionTimeoutMilliseconds: Int64

        /// Options for one server.
        public init(
            host: String, port: Int = 5432, user: String, password: String?, database: String,
            tls: TLS = .prefer,
            pool: Int = 8, idleInTransactionTimeoutMilliseconds: Int64 = 60_000
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.tls = tls
            self.pool = pool
            self.idleInTransactionTimeoutMilliseconds = idleInTransactionTimeoutMilliseconds
        }

        /// `postgres://user@host:port/db`, without the password.
        public var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }

        func clientConfiguration() -> PostgresClient.Configuration {
            let tlsMode: PostgresClient.Configuration.TLS =
                switch tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            var config = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tlsMode)
            config.options.maximumConnections = max(1, pool)
            config.options.minimumConnections = 0
            config.options.connectTimeout = .seconds(5)
            config.options.additionalStartupParameters = [
                ("application_name", "touchpoint"),
                (
                    "idle_in_transaction_session_timeout",
                    "\(max(1_000, idleInTransactionTimeoutMilliseconds))"
                ),
            ]
            return config
        }

        func connectionConfiguration() throws -> PostgresConnection.Configuration {
            let tlsMode: PostgresConnection.Configuration.TLS =
                switch tls {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            var config = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tlsMode)
            config.options.additionalStartupParameters = [("application_name", "touchpoint-lock")]
            return config
        }
    }

    /// A cluster store's fixed shape and this process's part in it.
    public struct ClusterSettings: Sendable, Hashable {
        /// How customers are hashed into partitions.
        public var partitioner: Partitioner
        /// This node's name.
        public var node: String
        /// How long a lease lasts without renewal, milliseconds.
        public var leaseMilliseconds: Int64

        /// Cluster settings.
        public init(partitions: Int, node: String, leaseMilliseconds: Int64) {
            self.partitioner = Partitioner(count: partitions)
            self.node = node
            self.leaseMilliseconds = leaseMilliseconds
        }
    }

    let client: PostgresClient
    let options: Options
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The database's name and where it is, for messages.
    public let display: String
    /// Set for a cluster store.
    public let cluster: ClusterSettings?
    /// This node's epoch once it joined (``join(host:pid:at:)``); every outbox write is checked against it.
    let nodeEpoch = Mutex<Int64?>(nil)
    /// The connection holding a single daemon's advisory lock (``lockSingleDaemon()``).
    private let lockConnection = Mutex<PostgresConnection?>(nil)

    private init(
        client: PostgresClient, options: Options, runner: Task<Void, Never>, logger: Logger, display: String,
        cluster: ClusterSettings?
    ) {
        self.client = client
        self.options = options
        self.runner = runner
        self.logger = logger
        self.display = display
        self.cluster = cluster
    }

    /// Connects (the pool opens connections as they are needed) and brings the schema up to date.
    ///
    /// The connection's errors name the server and the cause, never the password. Call ``close()`` when done.
    public static func open(
        _ options: Options, cluster: ClusterSettings? = nil,
        logger: Logger = Logger(label: "touchpoint.store")
    ) async throws -> PostgresStore {
        var background = logger
        // postgres-nio warns when a query waits for `run()` to start (it always does, briefly, right after open).
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(
            configuration: options.clientConfiguration(), backgroundLogger: background)
        let runner = Task.detached { await client.run() }
        var quiet = logger
        quiet.logLevel = .critical
        let store = PostgresStore(
            client: client, options: options, runner: runner, logger: quiet, display: options.display,
            cluster: cluster)
        do {
            try await store.migrate()
            if let cluster { try await store.prepareCluster(cluster) }
        } catch {
            await store.close()
            guard error is PSQLError || error is StoreError else {
                // The pool reports only that it could not connect; one connection of our own says why.
                throw await connectionProblem(options)
                    ?? PostgresStore.describe(error, doing: "open \(options.display)")
            }
            throw PostgresStore.describe(error, doing: "open \(options.display)")
        }
        return store
    }

    /// Why a connection to the server fails, from one attempt of its own; `nil` when it succeeds.
    private static func connectionProblem(_ options: Options) async -> (any Error)? {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try options.connectionConfiguration(), id: 2,
                logger: Logger(label: "touchpoint.store"))
            try? await connection.close()
            return nil
        } catch {
            if let psql = error as? PSQLError, psql.code == .authMechanismRequiresPassword {
                return StoreError.io(
                    "postgres: \(options.display) asks for a password: give it in the URL or in PGPASSWORD")
            }
            if let psql = error as? PSQLError, psql.serverInfo == nil {
                let cause = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
                return StoreError.io("postgres: cannot connect to \(options.display): \(cause)")
            }
            return describe(error, doing: "connect to \(options.display)")
        }
    }

    /// Closes the pool (and a single daemon's lock connection); the store is unusable afterwards.
    public func close() async {
        if let connection = lockConnection.withLock({ c -> PostgresConnection? in
            defer { c = nil }
            return c
        }) {
            try? await connection.close()
        }
        runner.cancel()
        _ = await runner.value
    }

    deinit {
        runner.cancel()
    }

    /// A single daemon's claim on the store: a session advisory lock on a connection kept for the process's
    /// life. Throws ``StoreError/inUse(_:)`` naming the holder when another daemon has it.
    ///
    /// The server releases it when the connection ends, so a crashed daemon never leaves it behind; a cluster
    /// admits several daemons through ``join(host:pid:at:)`` instead.
    public func lockSingleDaemon(options: Options, owner: String) async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try options.connectionConfiguration(), id: 1, logger: logger)
        } catch {
            throw PostgresStore.describe(error, doing: "connect to \(display)")
        }
        let key = Self.singleDaemonLockKey
        let rows = try await connection.query(
            "SELECT pg_try_advisory_lock(\(key))", logger: logger
        ).collect()
        let locked = try rows.first?.decode(Bool.self) ?? false
        guard locked else {
            let holder = try? await connection.query(
                """
                SELECT a.application_name, a.client_addr::text, a.backend_start::text FROM pg_locks l
                JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.objid = \(unescaped: String(key & 0xFFFF_FFFF)) AND l.granted LIMIT 1
                """, logger: logger
            ).collect().first
            try? await connection.close()
            var who = "another touchpoint run"
            if let holder, let (app, addr, since) = try? holder.decode((String?, String?, String?).self) {
                who += " (\(app ?? "?") from \(addr ?? "a local socket"), connected since \(since ?? "?"))"
            }
            throw StoreError.inUse(
                "store \(display) is in use by \(who); one daemon per store without a 'cluster:' block "
                    + "(stop it first, or configure a cluster)")
        }
        _ = try? await connection.query(
            "INSERT INTO meta (key, value) VALUES ('single_daemon_since', \(unescaped: Self.nowMilliseconds)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            logger: logger)
        lockConnection.withLock { $0 = connection }
        _ = owner
    }

    /// The advisory lock key of a single daemon: "tp" in ASCII, a number no other user of the database is
    /// likely to pick.
    static let singleDaemonLockKey: Int64 = 0x7470_0001

    /// SQL for the server's clock in epoch milliseconds.
    static let nowMilliseconds = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    // MARK: Transactions

    /// Runs `body` in one transaction on one pooled connection: committed when it returns, rolled back when it
    /// throws (its own error is rethrown, not wrapped).
    func transaction<T: Sendable>(
        _ body: @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { connection in
            let value: T
            do {
                try await connection.query("BEGIN", logger: logger)
                value = try await body(connection, logger)
            } catch let error as PSQLError where error.serverInfo == nil {
                // The connection failed before COMMIT was sent (a session the server ended while this process was
                // paused, say): the server rolled the transaction back, so it may be run again on another one.
                throw LostBeforeCommit(error: error)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            try await connection.query("COMMIT", logger: logger)
            return value
        }
    }

    /// A transaction whose connection was lost before its COMMIT: certainly not committed.
    struct LostBeforeCommit: Error {
        var error: PSQLError
    }

    /// A transaction that records something that already happened in the world: it finishes even if the
    /// calling task is cancelled (an unstructured task does not inherit cancellation), and is tried again
    /// when the server aborted it to break a deadlock, or its connection was lost before it committed. (A
    /// connection lost during COMMIT leaves the outcome unknown: that is an error, never a retry.)
    func recordingTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        try await Task {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await self.transaction(body)
                } catch let error as PSQLError where attempt < 5 && Self.isRetryable(error) {
                    try? await Task.sleep(nanoseconds: UInt64(attempt) * 20_000_000)
                    continue
                } catch let lost as LostBeforeCommit where attempt < 5 {
                    _ = lost
                    try? await Task.sleep(nanoseconds: UInt64(attempt) * 50_000_000)
                    continue
                } catch let lost as LostBeforeCommit {
                    throw Self.describe(lost.error, doing: "write")
                } catch let error as PSQLError {
                    throw Self.describe(error, doing: "write")
                }
            }
        }.value
    }

    /// A read-only transaction (one snapshot: `REPEATABLE READ`).
    func snapshot<T: Sendable>(_ body: @Sendable (PostgresConnection, Logger) async throws -> T) async throws
        -> T
    {
        do {
            return try await transaction { connection, logger in
                try await connection.query(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                return try await body(connection, logger)
            }
        } catch let error as PSQLError {
            throw Self.describe(error, doing: "read")
        } catch let lost as LostBeforeCommit {
            throw Self.describe(lost.error, doing: "read")
        }
    }

    /// Deadlocks and serialization failures: the server rolled the transaction back, and running it again is safe.
    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// A database error as an operator can read it: the server's message and SQLSTATE, or the connection's
    /// failure; never a password (postgres-nio's own description hides everything, on purpose).
    static func describe(_ error: any Error, doing what: String) -> any Error {
        if error is StoreError { return error }
        guard let psql = error as? PSQLError else { return error }
        if let info = psql.serverInfo {
            let message = info[.message] ?? "error"
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            let detail = info[.detail].map { ": \($0)" } ?? ""
            return StoreError.io("postgres: cannot \(what): \(message)\(detail)\(state)")
        }
        let cause = psql.underlying.map { " (\($0))" } ?? ""
        return StoreError.io("postgres: cannot \(what): \(psql.code)\(cause)")
    }
}

extension Data {
    /// The bytes as a NIO buffer, for bytea parameters.
    var buffer: ByteBuffer { ByteBuffer(bytes: self) }
}

extension ByteBuffer {
    /// The readable bytes.
    var data: Data { Data(readableBytesView) }
}
