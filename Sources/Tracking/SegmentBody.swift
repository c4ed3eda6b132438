import Events
import TouchpointCore

/// Turns a Segment HTTP Tracking API body (`/v1/track`, `/v1/identify`, `/v1/batch`) into event lines,
/// or says why it cannot: the same checks the events file gets (``Events/EventDecoder``), so a line
/// accepted here is never quarantined later.
///
/// Segment's own conventions: the endpoint gives the `type` when the body has none (a body naming
/// another type is refused); a missing `timestamp` is the time the request arrived; a missing
/// `messageId` is derived from the event's content, so a client retrying the same body records it once.
/// 32 KB per event and 500 KB per batch, Segment's limits.
enum SegmentBody {
    static let eventLimit = 32 * 1024
    static let batchLimit = 500 * 1024

    /// Why a body is refused (400).
    struct Refusal: Error {
        var reason: String
    }

    /// The lines for a body posted to `/v1/{type}` (`type` is `track`, `identify` or `batch`).
    static func lines(_ body: [UInt8], endpoint type: String, receivedAt: Instant) -> Result<
        [EventRecorder.Line], Refusal
    > {
        if body.count > (type == "batch" ? batchLimit : eventLimit) {
            return .failure(
                Refusal(
                    reason:
                        "body is \(body.count) bytes; the limit is \(type == "batch" ? "500 KB per batch" : "32 KB per event")"
                ))
        }
        let result = body.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONError) -> JSONValue in try JSON.parse(buffer) }
        }
        let parsed: JSONValue
        switch result {
        case .success(let value): parsed = value
        case .failure(let error):
            return .failure(Refusal(reason: "invalid JSON at byte \(error.offset + 1): \(error.message)"))
        }
        guard case .object(let object) = parsed else {
            return .failure(Refusal(reason: "expected a JSON object, found \(parsed.typeName)"))
        }
        if type != "batch" {
            return line(object, type: type, receivedAt: receivedAt, place: "").map { [$0] }
        }
        guard case .array(let items)? = object["batch"] else {
            return .failure(Refusal(reason: "a batch body needs 'batch': a list of events"))
        }
        guard !items.isEmpty else { return .failure(Refusal(reason: "'batch' is empty")) }
        var out: [EventRecorder.Line] = []
        for (i, item) in items.enumerated() {
            guard case .object(var event) = item else {
                return .failure(
                    Refusal(reason: "batch[\(i)]: expected a JSON object, found \(item.typeName)"))
            }
            // Segment applies the batch's context to every call that has none of its own.
            if event["context"] == nil, let context = object["context"] { event["context"] = context }
            switch line(event, type: nil, receivedAt: receivedAt, place: "batch[\(i)]: ") {
            case .success(let l): out.append(l)
            case .failure(let refusal): return .failure(refusal)
            }
        }
        return .success(out)
    }

    private static func line(
        _ object: [String: JSONValue], type: String?, receivedAt: Instant, place: String
    ) -> Result<EventRecorder.Line, Refusal> {
        var event = object
        switch (type, event["type"]) {
        case (let type?, nil):
            event["type"] = .string(type)
        case (let type?, .string(let given)?) where given != type:
            return .failure(Refusal(reason: "\(place)type '\(given)' posted to /v1/\(type)"))
        default:
            break
        }
        if event["timestamp"] == nil || event["timestamp"] == .null {
            event["timestamp"] = .string(ISO8601.format(receivedAt, offsetSeconds: 0))
        }
        if event["messageId"]?.stringValue?.isEmpty ?? true {
            event["messageId"] = .string(EventLines.messageId("segment", JSONValue.object(event).jsonText))
        }
        let text = JSONValue.object(event).jsonText
        if text.utf8.count > eventLimit {
            return .failure(
                Refusal(reason: "\(place)event is \(text.utf8.count) bytes; the limit is 32 KB per event"))
        }
        switch EventDecoder().decode(line: text, file: "request", lineNumber: 1) {
        case .success(let decoded)?:
            // Filed by the day it arrived: an old timestamp must not reopen an old day's file.
            return .success(
                EventRecorder.Line(messageId: decoded.messageId ?? "", at: receivedAt, json: text))
        case .failure(let rejection)?:
            return .failure(Refusal(reason: place + rejection.reason))
        case nil:
            return .failure(Refusal(reason: "\(place)empty event"))
        }
    }
}
