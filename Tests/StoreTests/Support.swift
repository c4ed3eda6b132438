import Foundation
import Store
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

/// Both implementations a test should hold for: a real file and memory.
enum Backing: CaseIterable, CustomStringConvertible, Sendable {
    case file, memory

    var description: String { self == .file ? "file" : "memory" }

    /// Opens a fresh store and runs `body` with it, cleaning up afterwards.
    func with(_ body: (SQLiteStore) async throws -> Void) async throws {
        switch self {
        case .memory:
            try await body(try SQLiteStore.inMemory())
        case .file:
            let dir = try TempDir()
            defer { dir.remove() }
            try await body(try SQLiteStore(path: dir.database))
        }
    }
}
