import TouchpointCore

/// Builds the Segment-shaped lines the HTTP side records: ordinary `track` events, exactly what a
/// producer would write by hand, so the engine and `dry-run` read them like any other line.
public enum EventLines {
    /// A `messageId` derived from what identifies the request: the same request made again (a repeated
    /// open in the same minute, a retried callback) gets the same id and is applied once.
    static func messageId(_ parts: String...) -> String {
        "http-" + SHA256.hex(parts.joined(separator: "\u{1F}")).prefix(32)
    }

    /// The minute a hit falls in, for ids that should merge repeats within it.
    static func minute(_ at: Instant) -> String { String(at.milliseconds / 60_000) }

    /// The `Message Failed` line the dispatcher records when a provider refused a message for good, so
    /// the engine hears of it like of a provider's own report (a rule's `send.fallback` then goes at once).
    public static func messageFailed(
        messageId: String, customer: String, channel: String, answer: String, at: Instant
    ) -> EventRecorder.Line {
        track(
            WellKnownEvent.messageFailed, userId: customer, at: at,
            messageId: Self.messageId("failed", messageId),
            properties: [
                "channel": .string(channel), "message_id": .string(messageId),
                "reason": .string(String(answer.prefix(200))),
            ])
    }

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
