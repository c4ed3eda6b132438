import Foundation
import Store
import TouchpointCore

/// Channels whose endpoint answered 410 Gone, kept in the store (global `disabled-endpoints`) so that a
/// restart keeps them disabled and `touchpoint status` shows them. One is enabled again when its channel's
/// configuration changes (a reload or restart with another fingerprint) or by `touchpoint outbox enable`.
public struct DisabledEndpoints: Sendable, Hashable, Codable {
    /// One disabled channel.
    public struct Entry: Sendable, Hashable, Codable {
        /// When the 410 came, in milliseconds since the epoch.
        public var atMilliseconds: Int64
        /// The peer's answer.
        public var answer: String
        /// The channel's configuration digest at the time (``Adapters/fingerprints``).
        public var fingerprint: String
        /// The message whose send got the 410.
        public var messageId: String

        /// An entry.
        public init(atMilliseconds: Int64, answer: String, fingerprint: String, messageId: String) {
            self.atMilliseconds = atMilliseconds
            self.answer = answer
            self.fingerprint = fingerprint
            self.messageId = messageId
        }
    }

    /// Disabled channels by name.
    public var channels: [String: Entry] = [:]

    /// No channel disabled.
    public init() {}

    /// The store's global key.
    public static let key = "disabled-endpoints"

    /// What the store holds (none when it holds nothing or something unreadable).
    public static func load(from store: any StateStore) async throws -> DisabledEndpoints {
        guard let data = try await store.global(key) else { return DisabledEndpoints() }
        return (try? JSONDecoder().decode(DisabledEndpoints.self, from: data)) ?? DisabledEndpoints()
    }

    /// Writes this set to the store, in a transaction of its own.
    public func save(to store: any StateStore) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await store.commit(Batch(globals: [Self.key: try encoder.encode(self)]))
    }

    /// `touchpoint outbox enable CHANNEL`: enables `channel` again; whether it was disabled.
    public static func enable(_ channel: String, in store: any StateStore) async throws -> Bool {
        var set = try await load(from: store)
        guard set.channels.removeValue(forKey: channel) != nil else { return false }
        try await set.save(to: store)
        return true
    }

    /// One line per disabled channel for `touchpoint status`: `chat since 2026-12-03T05:00:00Z (status 410: …)`.
    public var summary: [String] {
        channels.sorted { $0.key < $1.key }.map { name, e in
            "\(name) since \(ISO8601.format(Instant(milliseconds: e.atMilliseconds), offsetSeconds: 0)) (\(LogSafety.clean(String(e.answer.prefix(120)))))"
        }
    }
}
