import Foundation
import GRDB
import TouchpointCore

extension SQLiteStore {
    /// The outbox columns as ``OutboxRow/init(row:)`` reads them: the customer id exact (see `ExactText.swift`).
    static let outboxColumns = "*, CAST(customer AS BLOB) AS customer_exact"
}

extension OutboxRow {
    /// Decodes a `SELECT \(SQLiteStore.outboxColumns) FROM outbox` row.
    init(row: Row) throws {
        let stateName: String = row["state"]
        let expires: Int64? = row["expires_at"]
        guard let state = OutboxState(rawValue: stateName) else {
            throw StoreError.corrupt("outbox state '\(stateName)'")
        }
        self.init(
            messageId: row["message_id"], rule: row["rule"],
            customer: String(exactText: row["customer_exact"]),
            channel: row["channel"],
            adapterKind: row["adapter_kind"], sendAt: Instant(milliseconds: row["send_at"]),
            prepared: row["prepared"], state: state, attempts: row["attempts"],
            attemptsAtRequeue: row["attempts_at_requeue"],
            nextAttemptAt: Instant(milliseconds: row["next_attempt_at"]),
            lastAnswer: row["last_answer"], providerId: row["provider_id"], reason: row["reason"],
            leaseOwner: row["lease_owner"], createdAt: Instant(milliseconds: row["created_at"]),
            updatedAt: Instant(milliseconds: row["updated_at"]),
            expiresAt: expires.map(Instant.init(milliseconds:)))
    }
}

extension FileOffset {
    /// Decodes a `file_offsets` row.
    init(row: Row) {
        let fingerprint: Int64? = row["fingerprint"]
        self.init(
            path: row["path"], offset: UInt64(bitPattern: row["byte_offset"]), line: row["line"],
            inode: UInt64(bitPattern: row["inode"]), size: UInt64(bitPattern: row["size"]),
            device: UInt64(bitPattern: row["device"]), fingerprint: fingerprint.map { UInt64(bitPattern: $0) }
        )
    }
}

extension QuarantinedLine {
    /// Decodes a `quarantine` row.
    init(row: Row) {
        self.init(
            path: row["path"], line: row["line"], reason: row["reason"], raw: row["raw"],
            at: Instant(milliseconds: row["at"]))
    }
}

extension AttemptRecord {
    /// Decodes an `outbox_attempts` row.
    init(row: Row) {
        let finished: Int64? = row["finished_at"]
        self.init(
            messageId: row["message_id"], attempt: row["attempt"], leaseOwner: row["lease_owner"],
            startedAt: Instant(milliseconds: row["started_at"]),
            finishedAt: finished.map(Instant.init(milliseconds:)),
            outcome: row["outcome"], answer: row["answer"])
    }
}
