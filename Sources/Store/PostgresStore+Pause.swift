import Foundation
import PostgresNIO
import TouchpointCore

extension PostgresStore: PausedRules {
    public func pause(rule: String, at: Instant) async throws -> Bool {
        try await transaction { c, l in
            !(try await c.rows(
                "INSERT INTO paused_rules (rule, paused_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING rule",
                [.text(rule), .int(at.milliseconds)], logger: l
            ).isEmpty)
        }
    }

    public func resume(rule: String) async throws -> Bool {
        try await transaction { c, l in
            !(try await c.rows(
                "DELETE FROM paused_rules WHERE rule = $1 RETURNING rule", [.text(rule)], logger: l
            ).isEmpty)
        }
    }

    public func paused() async throws -> [PausedRule] {
        try await snapshot { c, l in
            try await c.rows("SELECT rule, paused_at FROM paused_rules ORDER BY paused_at, rule", logger: l)
                .map {
                    let (rule, at) = try $0.decode((String, Int64).self)
                    return PausedRule(rule: rule, since: Instant(milliseconds: at))
                }
        }
    }

    public func waitingWhilePaused() async throws -> [String: Int] {
        try await snapshot { c, l in
            var out: [String: Int] = [:]
            for row in try await c.rows("SELECT rule FROM paused_rules", logger: l) {
                let rule = try row.decode(String.self)
                let count =
                    rule == PausedRule.all
                    ? try await c.rows(
                        "SELECT count(*) FROM outbox WHERE state IN ('pending', 'retry')", logger: l)
                    : try await c.rows(
                        "SELECT count(*) FROM outbox WHERE state IN ('pending', 'retry') AND rule = $1",
                        [.text(rule)], logger: l)
                out[rule] = Int(try count.first?.decode(Int64.self) ?? 0)
            }
            return out
        }
    }
}
