import Foundation
import Logging
import PostgresNIO
import Store
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The tests' PostgreSQL server: `Tests/Peers/pg_server.py` (initdb and pg_ctl in a temporary folder, on an
/// ephemeral loopback port, as an unprivileged user), started once per test process and stopped when the
/// process ends (the script stops it when its stdin closes). Each test takes a database of its own.
public final class TestPostgres: Sendable {
    /// The server, or why there is none (no PostgreSQL binaries: the PostgreSQL cases are skipped, said once).
    public static let shared: Result<TestPostgres, Unavailable> = start()

    /// The running server, or `nil` with the reason printed once.
    public static var available: TestPostgres? {
        switch shared {
        case .success(let server): return server
        case .failure(let why):
            announce.withLock { said in
                if !said {
                    said = true
                    print("PostgreSQL cases skipped: \(why.reason)")
                }
            }
            return nil
        }
    }

    private static let announce = Mutex(false)

    /// Why there is no server.
    public struct Unavailable: Error, Sendable {
        public var reason: String
    }

    public let port: Int
    public let user: String
    public let password: String
    private let process: Process
    private let lifeline: FileHandle

    private init(port: Int, user: String, password: String, process: Process, lifeline: FileHandle) {
        self.port = port
        self.user = user
        self.password = password
        self.process = process
        self.lifeline = lifeline
    }

    /// `Tests/Peers/pg_server.py`.
    public static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/pg_server.py")
    }

    private static func start() -> Result<TestPostgres, Unavailable> {
        guard
            let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { return .failure(Unavailable(reason: "no python3 to run Tests/Peers/pg_server.py")) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path]
        let out = Pipe()
        let lifeline = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        do { try process.run() } catch {
            return .failure(Unavailable(reason: "cannot run pg_server.py: \(error)"))
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            return .failure(Unavailable(reason: "pg_server.py printed nothing readable"))
        }
        if let skip = object["skip"] as? String { return .failure(Unavailable(reason: skip)) }
        guard let port = object["port"] as? Int, let user = object["user"] as? String,
            let password = object["password"] as? String
        else {
            return .failure(Unavailable(reason: (object["error"] as? String) ?? "pg_server.py failed"))
        }
        return .success(
            TestPostgres(
                port: port, user: user, password: password, process: process,
                lifeline: lifeline.fileHandleForWriting))
    }

    /// Store options for `database`.
    public func options(database: String, pool: Int = 4) -> PostgresStore.Options {
        PostgresStore.Options(
            host: "127.0.0.1", port: port, user: user, password: password, database: database, tls: .disable,
            pool: pool, idleInTransactionTimeoutMilliseconds: 5_000)
    }

    /// `postgres://touchpoint@127.0.0.1:PORT/DB?sslmode=disable` (the password goes in `PGPASSWORD`).
    public func url(database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// A new, empty database; its name.
    public func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin("CREATE DATABASE \(name)")
        return name
    }

    /// Drops a database made by ``createDatabase()`` (connections still open to it are ended).
    public func dropDatabase(_ name: String) async {
        try? await admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement on the `postgres` database.
    public func admin(_ sql: String) async throws {
        let config = PostgresConnection.Configuration(
            host: "127.0.0.1", port: port, username: user, password: password, database: "postgres",
            tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: config, id: 0, logger: Logger(label: "test-postgres"))
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-postgres"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// Runs one query on `database` and returns its rows (for tests that look at the tables themselves).
    public func query(_ sql: String, database: String) async throws -> [PostgresRow] {
        let config = PostgresConnection.Configuration(
            host: "127.0.0.1", port: port, username: user, password: password, database: database,
            tls: .disable)
        let logger = Logger(label: "test-postgres")
        let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        defer { Task { try? await connection.close() } }
        return try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }

    /// A fresh store on a fresh database for `body`; the store is closed and the database dropped after.
    public func withStore<T>(
        cluster: PostgresStore.ClusterSettings? = nil, _ body: (PostgresStore, String) async throws -> T
    ) async throws -> T {
        let database = try await createDatabase()
        let store = try await PostgresStore.open(options(database: database), cluster: cluster)
        do {
            let result = try await body(store, database)
            await store.close()
            await dropDatabase(database)
            return result
        } catch {
            await store.close()
            await dropDatabase(database)
            throw error
        }
    }
}

/// A transaction left open on a connection of its own, holding the locks its statements took until ``release()``
/// (a stand-in for another session in the way).
public final class OpenTransaction: Sendable {
    private let connection: PostgresConnection

    private init(connection: PostgresConnection) { self.connection = connection }

    /// Begins a transaction on `database` and runs `sql` in it.
    public static func begin(_ sql: String, server: TestPostgres, database: String) async throws
        -> OpenTransaction
    {
        let config = PostgresConnection.Configuration(
            host: "127.0.0.1", port: server.port, username: server.user, password: server.password,
            database: database, tls: .disable)
        let logger = Logger(label: "test-postgres")
        let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        do {
            try await connection.query("BEGIN", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        return OpenTransaction(connection: connection)
    }

    /// Rolls back and closes the connection.
    public func release() async {
        _ = try? await connection.query("ROLLBACK", logger: Logger(label: "test-postgres"))
        try? await connection.close()
    }
}
