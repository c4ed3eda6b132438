import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore: PausedRules {
    public func pause(rule: String, at: Instant) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO paused_rules (rule, paused_at) VALUES (?, ?)",
                arguments: [rule, at.milliseconds])
            return db.changesCount > 0
        }
    }

    public func resume(rule: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM paused_rules WHERE rule = ?", arguments: [rule])
            return db.changesCount > 0
        }
    }

    public func paused() async throws -> [PausedRule] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT rule, paused_at FROM paused_rules ORDER BY paused_at, rule").map
            {
                PausedRule(rule: $0[0], since: Instant(milliseconds: $0[1]))
            }
        }
    }

    public func waitingWhilePaused() async throws -> [String: Int] {
        try await writer.read { db in
            var out: [String: Int] = [:]
            let paused = try String.fetchAll(db, sql: "SELECT rule FROM paused_rules")
            for rule in paused {
                out[rule] =
                    try Int.fetchOne(
                        db,
                        sql: rule == PausedRule.all
                            ? "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retry')"
                            : "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'retry') AND rule = ?",
                        arguments: rule == PausedRule.all ? [] : [rule]) ?? 0
            }
            return out
        }
    }
}
