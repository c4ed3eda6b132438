import Foundation
import GRDB
import TouchpointCore

/// A message a daemon delivered, or held back for the control group: what `touchpoint report --store` counts.
public struct Exposure: Sendable, Hashable {
    public var rule: String
    public var customer: String
    public var messageId: String
    /// When it was sent (its send time), or when it would have been (the holdout decision).
    public var at: Instant
    /// Held back for the control group (`holdout`), not sent.
    public var heldOut: Bool

    /// An exposure.
    public init(rule: String, customer: String, messageId: String, at: Instant, heldOut: Bool) {
        self.rule = rule
        self.customer = customer
        self.messageId = messageId
        self.at = at
        self.heldOut = heldOut
    }
}

extension SQLiteStore {
    /// Every delivered outbox row and every `holdout` drop, from one consistent snapshot.
    public func exposures() async throws -> [Exposure] {
        try await writer.read { db in
            let sent = try Row.fetchAll(
                db,
                sql:
                    "SELECT rule, customer, message_id, send_at FROM outbox WHERE state = 'delivered' ORDER BY send_at"
            ).map { row in
                Exposure(
                    rule: row[0], customer: row[1], messageId: row[2], at: Instant(milliseconds: row[3]),
                    heldOut: false)
            }
            let held = try Row.fetchAll(
                db,
                sql: "SELECT rule, customer, message_id, at FROM dropped WHERE reason = 'holdout' ORDER BY at"
            ).map { row in
                Exposure(
                    rule: row[0], customer: row[1], messageId: row[2], at: Instant(milliseconds: row[3]),
                    heldOut: true)
            }
            return sent + held
        }
    }
}
