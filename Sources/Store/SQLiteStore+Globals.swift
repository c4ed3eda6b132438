import Foundation
import GRDB

extension SQLiteStore {
    /// One global blob by key (`touchpoint status` reads the sequencer's without loading every customer).
    public func global(_ key: String) async throws -> Data? {
        try await writer.read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM globals WHERE key = ?", arguments: [key])
        }
    }
}
