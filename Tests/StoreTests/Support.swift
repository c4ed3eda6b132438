import Foundation
import PostgresTestSupport
import Store
import Synchronization
import Testing
import TouchpointCore

/// A scratch directory removed when the test ends.
struct TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var database: String { url.appendingPathComponent("touchpoint.sqlite").path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Epoch milliseconds, short.
func t(_ ms: Int64) -> Instant { Instant(milliseconds: ms) }

/// A pending row with recognisable bytes.
func row(_ id: String, sendAt: Int64 = 1_000, kind: String = "webhook", channel: String = "chat") -> OutboxRow
{
    OutboxRow.pending(
        messageId: id, rule: "welcome", customer: "u-\(id)", channel: channel, adapterKind: kind,
        sendAt: t(sendAt),
        prepared: Data("payload of \(id)".utf8), createdAt: t(500))
}

func blob(_ text: String) -> Data { Data(text.utf8) }

/// Every store a test should hold for: a SQLite file, SQLite in memory, and PostgreSQL (a database of its own on
/// the tests' throwaway server; left out, with the reason printed once, where PostgreSQL is not installed).
enum Backing: CaseIterable, CustomStringConvertible, Sendable {
    case file, memory, postgres

    static var allCases: [Backing] {
        TestPostgres.available == nil ? [.file, .memory] : [.file, .memory, .postgres]
    }

    /// The stores that outlive the process that opened them (a reopen finds what was committed).
    static var durable: [Backing] { allCases.filter { $0 != .memory } }

    var description: String {
        switch self {
        case .file: "sqlite file"
        case .memory: "sqlite memory"
        case .postgres: "postgres"
        }
    }

    /// Opens a fresh store and runs `body` with it, cleaning up afterwards.
    func with(_ body: (any StateStore) async throws -> Void) async throws {
        try await reopening { open in try await body(try await open()) }
    }

    /// Runs `body` with a way to open the same store again (as a restarted daemon would), cleaning up afterwards.
    /// In memory every open is the same store.
    func reopening(_ body: (() async throws -> any StateStore) async throws -> Void) async throws {
        switch self {
        case .memory:
            let store = try SQLiteStore.inMemory()
            try await body { store }
        case .file:
            let dir = try TempDir()
            defer { dir.remove() }
            try await body { try SQLiteStore(path: dir.database) }
        case .postgres:
            let server = try #require(TestPostgres.available)
            let database = try await server.createDatabase()
            let opened = Opened()
            do {
                try await body {
                    let store = try await PostgresStore.open(server.options(database: database))
                    opened.add(store)
                    return store
                }
            } catch {
                await opened.closeAll()
                await server.dropDatabase(database)
                throw error
            }
            await opened.closeAll()
            await server.dropDatabase(database)
        }
    }
}

/// The PostgreSQL stores a test opened, closed at its end.
final class Opened: Sendable {
    private let stores = Mutex<[PostgresStore]>([])

    func add(_ store: PostgresStore) { stores.withLock { $0.append(store) } }

    func closeAll() async {
        for store in stores.withLock({ s -> [PostgresStore] in
            defer { s = [] }
            return s
        }) {
            await store.close()
        }
    }
}
