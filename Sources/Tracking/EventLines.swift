import TouchpointCore

/// Builds the Segment-shaped lines the HTTP side records: ordinary `track` events, exactly what a
/// producer would write by hand, so the engine and `dry-run` read them like any other line.
enum EventLines {
    /// A `messageId` derived from what identifies the request: the same request made again (a repeated
    /// open in the same minute, a retried callback) gets the same id and is applied once.
    static func messageId(_ parts: String...) -> String {
        "http-" + SHA256.hex(parts.joined(separator: "\u{1F}")).prefix(32)
    }

    /// The minute a hit falls in, for ids that should merge repeats within it.
    static func minute(_ at: Instant) -> String { String(at.milliseconds / 60_000) }

    /// A `track` line.
    static func track(
        _ name: String, userId: String, at: Instant, messageId: String, properties: [String: JSONValue]
    ) -> EventRecorder.Line {
        let json: JSONValue = [
            "type": "track",
            "event": .string(name),
            "userId": .string(userId),
            "messageId": .string(messageId),
            "timestamp": .string(ISO8601.format(at, offsetSeconds: 0)),
            "properties": .object(properties),
        ]
        return EventRecorder.Line(messageId: messageId, at: at, json: json.jsonText)
    }
}
