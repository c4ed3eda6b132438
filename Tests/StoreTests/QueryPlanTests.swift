import Foundation
import GRDB
import Store
import Testing

@Suite("Query plans")
struct QueryPlanTests {
    @Test("the claim reads the claimable index in claim order: no sort over the backlog, whatever its size")
    func claimUsesTheClaimableIndex() async throws {
        let queue = try DatabaseQueue()
        _ = try SQLiteStore(writer: queue)
        let plan = try await queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT * FROM outbox INDEXED BY outbox_claimable
                    WHERE state IN ('pending', 'retry') AND next_attempt_at <= ? AND channel NOT IN (?)
                    ORDER BY next_attempt_at, message_id LIMIT ?
                    """, arguments: [1, "sms", 10]
            ).map { $0["detail"] as String }.joined(separator: "\n")
        }
        #expect(plan.contains("outbox_claimable"))
        #expect(!plan.contains("TEMP B-TREE"))
    }
}
