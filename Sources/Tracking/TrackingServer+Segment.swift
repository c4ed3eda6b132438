import Foundation
import HTTPTypes
import Hummingbird
import TouchpointCore

extension TrackingServer {
    /// `POST /v1/track|identify|batch`: Segment's HTTP Tracking API. Basic auth with a write key as the
    /// user name; 200 `{"success":true}` once every event of the body is on disk; 400 with the reason, and
    /// nothing recorded, for a body that is not valid events (one bad event refuses its whole batch).
    func segment(_ request: Request, endpoint: String) async -> Response {
        guard authorized(request.headers[.authorization]) else {
            telemetry.hit(kind: endpoint, result: "unauthorized")
            var response = Response.json(
                .unauthorized,
                ["success": false, "message": "a write key is required as the Basic auth user name"])
            response.headers[.wwwAuthenticate] = "Basic realm=\"touchpoint\""
            return response
        }
        let limit = (endpoint == "batch" ? SegmentBody.batchLimit : SegmentBody.eventLimit)
        guard let body = await Self.body(request, limit: limit) else {
            telemetry.hit(kind: endpoint, result: "rejected")
            let what = endpoint == "batch" ? "500 KB per batch" : "32 KB per event"
            return .json(
                .badRequest, ["success": false, "message": .string("body too large; the limit is \(what)")])
        }
        switch SegmentBody.lines(body, endpoint: endpoint, receivedAt: clock()) {
        case .failure(let refusal):
            telemetry.hit(kind: endpoint, result: "rejected")
            return .json(.badRequest, ["success": false, "message": .string(refusal.reason)])
        case .success(let lines):
            guard await record(lines, kind: endpoint) else {
                return .json(.serviceUnavailable, ["success": false, "message": "could not record; retry"])
            }
            return .json(.ok, ["success": true])
        }
    }

    /// Whether `header` is `Basic base64(KEY:)` (any password) for one of the configured write keys.
    func authorized(_ header: String?) -> Bool {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingSpaces()),
            let text = String(data: decoded, encoding: .utf8)
        else { return false }
        let user = Array(
            (text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").utf8)
        var ok = false
        for key in config.writeKeys where HMAC.equal(Array(key.utf8), user) { ok = true }
        return ok
    }
}
