import Foundation
import GRDB
import Store
import Testing

@Suite("Query plans")
struct QueryPlanTests {
    static func plan(_ sql: String, _ arguments: StatementArguments) async throws -> String {
        let queue = try DatabaseQueue()
        _ = try SQLiteStore(writer: queue)
        return try await queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    @Test("the claim reads the claimable index in claim order: no sort over the backlog, whatever its size")
    func claimUsesTheClaimableIndex() async throws {
        let plan = try await Self.plan(
            """
            SELECT * FROM outbox INDEXED BY outbox_claimable
            WHERE state IN ('pending', 'retry') AND next_attempt_at <= ?
            ORDER BY next_attempt_at, message_id LIMIT ?
            """, [1, 10])
        #expect(plan.contains("SEARCH outbox USING INDEX outbox_claimable (next_attempt_at<?)"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"))
    }

    @Test("a claim for one channel seeks that channel's claimable rows in claim order")
    func perChannelClaimSeeks() async throws {
        let plan = try await Self.plan(
            """
            SELECT * FROM outbox INDEXED BY outbox_claimable_channel
            WHERE state IN ('pending', 'retry') AND channel = ? AND next_attempt_at <= ?
            ORDER BY next_attempt_at, message_id LIMIT ?
            """, ["chat", 1, 10])
        #expect(plan.contains("(channel=? AND next_attempt_at<?)"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"))
        let skip = try await Self.plan(
            """
            SELECT channel FROM outbox INDEXED BY outbox_claimable_channel
            WHERE state IN ('pending', 'retry') AND channel > ? ORDER BY channel LIMIT 1
            """, ["chat"])
        #expect(skip.contains("(channel>?)"), "\(skip)")
    }
}
