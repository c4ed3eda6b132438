import Foundation
import TouchpointCore

// Instants are coded as integer epoch milliseconds, the same as in the database; Core's
// Instant is not Codable and a retroactive conformance here could clash with a future one there.
extension OutboxRow: Codable {
    private enum CodingKeys: String, CodingKey {
        case messageId, rule, customer, channel, adapterKind, sendAt, prepared, state, attempts,
            attemptsAtRequeue
        case nextAttemptAt, lastAnswer, providerId, reason, leaseOwner, createdAt, updatedAt, expiresAt
    }

    /// Decodes a row; instants are epoch milliseconds.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func instant(_ key: CodingKeys) throws -> Instant {
            Instant(milliseconds: try c.decode(Int64.self, forKey: key))
        }
        self.init(
            messageId: try c.decode(String.self, forKey: .messageId),
            rule: try c.decode(String.self, forKey: .rule),
            customer: try c.decode(String.self, forKey: .customer),
            channel: try c.decode(String.self, forKey: .channel),
            adapterKind: try c.decode(String.self, forKey: .adapterKind),
            sendAt: try instant(.sendAt),
            prepared: try c.decode(Data.self, forKey: .prepared),
            state: try c.decode(OutboxState.self, forKey: .state),
            attempts: try c.decode(Int.self, forKey: .attempts),
            attemptsAtRequeue: try c.decodeIfPresent(Int.self, forKey: .attemptsAtRequeue) ?? 0,
            nextAttemptAt: try instant(.nextAttemptAt),
            lastAnswer: try c.decodeIfPresent(String.self, forKey: .lastAnswer),
            providerId: try c.decodeIfPresent(String.self, forKey: .providerId),
            reason: try c.decodeIfPresent(String.self, forKey: .reason),
            leaseOwner: try c.decodeIfPresent(String.self, forKey: .leaseOwner),
            createdAt: try instant(.createdAt),
            updatedAt: try instant(.updatedAt),
            expiresAt: try c.decodeIfPresent(Int64.self, forKey: .expiresAt).map(Instant.init(milliseconds:)))
    }

    /// Encodes a row; instants as epoch milliseconds.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(rule, forKey: .rule)
        try c.encode(customer, forKey: .customer)
        try c.encode(channel, forKey: .channel)
        try c.encode(adapterKind, forKey: .adapterKind)
        try c.encode(sendAt.milliseconds, forKey: .sendAt)
        try c.encode(prepared, forKey: .prepared)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(attemptsAtRequeue, forKey: .attemptsAtRequeue)
        try c.encode(nextAttemptAt.milliseconds, forKey: .nextAttemptAt)
        try c.encodeIfPresent(lastAnswer, forKey: .lastAnswer)
        try c.encodeIfPresent(providerId, forKey: .providerId)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(leaseOwner, forKey: .leaseOwner)
        try c.encode(createdAt.milliseconds, forKey: .createdAt)
        try c.encode(updatedAt.milliseconds, forKey: .updatedAt)
        try c.encodeIfPresent(expiresAt?.milliseconds, forKey: .expiresAt)
    }
}
