import Foundation
import Testing
import TouchpointCore
import Tracking

extension TrackingSuite {
    /// `/v1/track|identify|batch`, Segment's HTTP Tracking API shape.
    @Suite("Segment ingestion: /v1/track, /v1/identify, /v1/batch") struct Ingestion {
        static let track =
            #"{"event":"Product Added","userId":"u42","properties":{"sku":"TEA-01","price":38.5}}"#

        @Test(
            "a write key as the Basic auth user name is required; without one or with a wrong one, 401 and nothing recorded"
        )
        func authentication() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let none = await HTTP.post(h.base + "/v1/track", Self.track)
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"]?.hasPrefix("Basic") == true)
            #expect(
                await HTTP.post(h.base + "/v1/track", Self.track, headers: [HTTP.basic("wk_wrong")]).status
                    == 401)
            #expect(
                await HTTP.post(
                    h.base + "/v1/track", Self.track, headers: ["Authorization: Bearer " + Harness.writeKey]
                ).status == 401)
            #expect(h.lines().isEmpty)
        }

        @Test(
            "a good track gets 200 {\"success\":true}; the line has the endpoint's type, a timestamp and a derived messageId"
        )
        func trackRecorded() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let answer = await HTTP.post(
                h.base + "/v1/track", Self.track,
                headers: [HTTP.basic(Harness.writeKey), "Content-Type: application/json"])
            #expect(answer.status == 200)
            #expect(answer.json?["success"] as? Bool == true)
            let line = try #require(h.lines().first)
            #expect(line["type"] as? String == "track")
            #expect(line["event"] as? String == "Product Added")
            #expect(line["timestamp"] as? String == ISO8601.format(h.clock.read(), offsetSeconds: 0))
            let id = try #require(line["messageId"] as? String)
            // A client retrying the same body records it once.
            #expect(
                await HTTP.post(h.base + "/v1/track", Self.track, headers: [HTTP.basic(Harness.writeKey)])
                    .status == 200)
            #expect(h.lines().count == 1)
            // A given messageId and timestamp are kept.
            let own =
                #"{"event":"Order Completed","userId":"u42","messageId":"e-9","timestamp":"2026-11-20T10:00:00+08:00"}"#
            #expect(
                await HTTP.post(h.base + "/v1/track", own, headers: [HTTP.basic(Harness.writeKey)]).status
                    == 200)
            let second = try #require(h.lines().last)
            #expect(second["messageId"] as? String == "e-9")
            #expect(second["timestamp"] as? String == "2026-11-20T10:00:00+08:00")
            #expect(second["messageId"] as? String != id)
        }

        @Test("identify records traits as an identify line")
        func identifyRecorded() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let body = #"{"userId":"u42","traits":{"email":"li@example.com","locale":"zh-CN"}}"#
            #expect(
                await HTTP.post(h.base + "/v1/identify", body, headers: [HTTP.basic(Harness.writeKey)]).status
                    == 200)
            let line = try #require(h.lines().first)
            #expect(line["type"] as? String == "identify")
            #expect((line["traits"] as? [String: Any])?["locale"] as? String == "zh-CN")
        }

        @Test(
            "bad bodies get 400 with the reason and record nothing",
            arguments: [
                ("/v1/track", #"{"event":"X","userId":"u1""#, "invalid JSON"),
                ("/v1/track", #"[1,2]"#, "expected a JSON object, found list"),
                ("/v1/track", #"{"event":"X"}"#, "userId"),
                ("/v1/track", #"{"userId":"u1"}"#, "event"),
                ("/v1/track", #"{"event":"X","userId":"u1","timestamp":"yesterday"}"#, "timestamp"),
                ("/v1/track", #"{"type":"identify","userId":"u1"}"#, "type 'identify' posted to /v1/track"),
                ("/v1/batch", #"{"events":[]}"#, "'batch'"),
                ("/v1/batch", #"{"batch":[]}"#, "'batch' is empty"),
                (
                    "/v1/batch",
                    #"{"batch":[{"type":"track","event":"A","userId":"u1"},{"type":"track","userId":"u2"}]}"#,
                    "batch[1]"
                ),
                (
                    "/v1/batch", #"{"batch":[{"type":"track","event":"A","userId":"u1"},7]}"#,
                    "batch[1]: expected a JSON object"
                ),
            ])
        func badBodies(path: String, body: String, reason: String) async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let answer = await HTTP.post(h.base + path, body, headers: [HTTP.basic(Harness.writeKey)])
            #expect(answer.status == 400)
            #expect(answer.json?["success"] as? Bool == false)
            let message = answer.json?["message"] as? String ?? ""
            #expect(message.contains(reason), "\(message)")
            #expect(h.lines().isEmpty)
        }

        @Test("32 KB per event and 500 KB per batch: larger bodies get 400 and record nothing")
        func sizeLimits() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let padding = String(repeating: "x", count: 33 * 1024)
            let big = #"{"event":"X","userId":"u1","properties":{"p":"\#(padding)"}}"#
            let one = await HTTP.post(h.base + "/v1/track", big, headers: [HTTP.basic(Harness.writeKey)])
            #expect(one.status == 400)
            #expect((one.json?["message"] as? String)?.contains("32 KB") == true)
            // One event over 32 KB inside a batch under 500 KB.
            let inBatch =
                #"{"batch":[\#(big.replacingOccurrences(of: "{\"event\"", with: "{\"type\":\"track\",\"event\""))]}"#
            let b1 = await HTTP.post(h.base + "/v1/batch", inBatch, headers: [HTTP.basic(Harness.writeKey)])
            #expect(b1.status == 400)
            #expect((b1.json?["message"] as? String)?.contains("batch[0]") == true)
            // A batch over 500 KB of small events.
            let small =
                #"{"type":"track","event":"X","userId":"u1","properties":{"p":"\#(String(repeating: "y", count: 1000))"}}"#
            let huge = #"{"batch":[\#(Array(repeating: small, count: 520).joined(separator: ","))]}"#
            let b2 = await HTTP.post(h.base + "/v1/batch", huge, headers: [HTTP.basic(Harness.writeKey)])
            #expect(b2.status == 400)
            #expect((b2.json?["message"] as? String)?.contains("500 KB") == true)
            #expect(h.lines().isEmpty)
        }

        @Test("a good batch records every event, in order, with the batch's context")
        func batchRecorded() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let body = """
                {"batch":[
                  {"type":"identify","userId":"u1","traits":{"email":"a@example.com"}},
                  {"type":"track","event":"Product Added","userId":"u1","messageId":"b-2"},
                  {"type":"page","userId":"u1","name":"Home"}
                ],"context":{"library":{"name":"analytics-python"}}}
                """
            let answer = await HTTP.post(h.base + "/v1/batch", body, headers: [HTTP.basic(Harness.writeKey)])
            #expect(answer.status == 200)
            let lines = h.lines()
            #expect(lines.map { $0["type"] as? String } == ["identify", "track", "page"])
            #expect(
                lines.allSatisfy {
                    (($0["context"] as? [String: Any])?["library"] as? [String: Any])?["name"] as? String
                        == "analytics-python"
                })
        }
    }

    /// `/hooks/twilio/status` and `/hooks/twilio/inbound`, signed by Python's hmac.
    @Suite("Twilio webhooks") struct Twilio {
        static func signed(
            _ h: Harness, _ path: String, _ params: [(String, String)], token: String = Harness.twilioToken
        )
            async throws -> HTTP.Answer
        {
            let signature = try twilioSignature(url: h.config.publicURL + path, params: params, token: token)
            return await HTTP.post(
                h.base + path, form(params),
                headers: [
                    "Content-Type: application/x-www-form-urlencoded", "X-Twilio-Signature: " + signature,
                ])
        }

        @Test("a missing or wrong X-Twilio-Signature gets 403 and records nothing")
        func badSignature() async throws {
            let h = try await Harness(customers: ["u1": "+15550001"])
            defer { Task { await h.stop() } }
            let params = [("MessageSid", "SM1"), ("MessageStatus", "delivered"), ("To", "+15550001")]
            #expect(await HTTP.post(h.base + "/hooks/twilio/status", form(params)).status == 403)
            #expect(
                try await Self.signed(h, "/hooks/twilio/status", params, token: "not-the-token").status == 403
            )
            // Signed for other parameters than the ones sent.
            let signature = try twilioSignature(
                url: h.config.publicURL + "/hooks/twilio/status", params: params)
            let tampered = [("MessageSid", "SM1"), ("MessageStatus", "failed"), ("To", "+15550001")]
            #expect(
                await HTTP.post(
                    h.base + "/hooks/twilio/status", form(tampered),
                    headers: ["X-Twilio-Signature: " + signature]
                ).status == 403)
            #expect(h.lines().isEmpty)
        }

        @Test(
            "delivered → Message Delivered for the message in the signed callback URL; a retried callback is one event"
        )
        func statusDelivered() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            let callback = h.tracker.statusCallbackURL(
                messageId: "0123456789abcdef0123456789abcdef", customer: "u9", issuedAt: h.clock.read())
            let path = String(callback.dropFirst(h.config.publicURL.count))
            let params = [
                ("MessageSid", "SM42"), ("MessageStatus", "delivered"), ("To", "+15550009"),
                ("AccountSid", "AC1"),
            ]
            let first = try await Self.signed(h, path, params)
            #expect(first.status == 200)
            #expect(first.text == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>")
            #expect(try await Self.signed(h, path, params).status == 200)
            let lines = h.lines()
            #expect(lines.count == 1)
            let line = try #require(lines.first)
            #expect(line["event"] as? String == "Message Delivered")
            #expect(line["userId"] as? String == "u9")
            let properties = try #require(line["properties"] as? [String: Any])
            #expect(properties["message_id"] as? String == "0123456789abcdef0123456789abcdef")
            #expect(properties["provider_id"] as? String == "SM42")
            #expect(properties["channel"] as? String == "sms")
        }

        @Test(
            "undelivered/failed → Message Failed with the error code; queued and sent are not recorded; no token → the To number's customer"
        )
        func statusFailed() async throws {
            let h = try await Harness(customers: ["u1": "+15550001"])
            defer { Task { await h.stop() } }
            let queued = [("MessageSid", "SM7"), ("MessageStatus", "queued"), ("To", "+15550001")]
            #expect(try await Self.signed(h, "/hooks/twilio/status", queued).status == 200)
            #expect(h.lines().isEmpty)
            let failed = [
                ("MessageSid", "SM7"), ("MessageStatus", "undelivered"), ("To", "+15550001"),
                ("ErrorCode", "30003"),
            ]
            #expect(try await Self.signed(h, "/hooks/twilio/status", failed).status == 200)
            let line = try #require(h.lines().first)
            #expect(line["event"] as? String == "Message Failed")
            #expect(line["userId"] as? String == "u1")
            #expect((line["properties"] as? [String: Any])?["error_code"] as? String == "30003")
        }

        @Test(
            "inbound STOP words unsubscribe the sender's customer from sms, START resubscribes, anything else is only acknowledged"
        )
        func inboundKeywords() async throws {
            let h = try await Harness(customers: ["u1": "+15550001", "u2": "+15550002"])
            defer { Task { await h.stop() } }
            for (sid, body) in [("SMa", " stop "), ("SMb", "hello"), ("SMc", "Start"), ("SMd", "QUIT")] {
                let params = [
                    ("MessageSid", sid), ("From", "+15550001"), ("To", "+15550100"), ("Body", body),
                ]
                let answer = try await Self.signed(h, "/hooks/twilio/inbound", params)
                #expect(answer.status == 200)
                #expect(answer.headers["content-type"]?.hasPrefix("text/xml") == true)
                #expect(answer.text.hasSuffix("<Response></Response>"))
            }
            let lines = h.lines()
            #expect(lines.map { $0["event"] as? String } == ["Unsubscribed", "Subscribed", "Unsubscribed"])
            #expect(lines.allSatisfy { $0["userId"] as? String == "u1" })
            #expect(lines.allSatisfy { ($0["properties"] as? [String: Any])?["channel"] as? String == "sms" })
            // The same inbound message delivered twice is one event.
            let again = [
                ("MessageSid", "SMa"), ("From", "+15550001"), ("To", "+15550100"), ("Body", " stop "),
            ]
            #expect(try await Self.signed(h, "/hooks/twilio/inbound", again).status == 200)
            #expect(h.lines().count == 3)
        }
    }

    /// `/metrics`, `/healthz`, `/readyz`.
    @Suite("metrics and health") struct MetricsAndHealth {
        @Test("/metrics is Prometheus text that promtool accepts, with the tracking hits counted")
        func metrics() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            _ = await HTTP.get(h.url(h.token(.open)))
            _ = await HTTP.get(h.base + "/o/forged")
            let answer = await HTTP.get(h.base + "/metrics")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = answer.text
            #expect(text.contains(#"touchpoint_tracking_hits_total{kind="open",result="recorded"} 1"#))
            #expect(text.contains(#"touchpoint_tracking_hits_total{kind="open",result="rejected"} 1"#))
            #expect(text.contains(#"touchpoint_outbox_rows{state="pending"} 0"#))
            #expect(text.contains("# HELP touchpoint_events_applied_total"))
            try checkWithPromtool(text)
        }

        @Test(
            "/healthz says the process is up; /readyz is 503 while events files are unread, 200 when caught up"
        )
        func health() async throws {
            let h = try await Harness()
            defer { Task { await h.stop() } }
            #expect(await HTTP.get(h.base + "/healthz").status == 200)
            #expect(await HTTP.get(h.base + "/readyz").status == 200)
            try "{\"type\":\"track\"}\n".write(
                to: h.folder.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
            let behind = await HTTP.get(h.base + "/readyz")
            #expect(behind.status == 503)
            #expect(behind.text.contains("catching up"))
        }
    }
}

/// Runs `promtool check metrics` on `text`; records a skip reason when promtool is absent.
func checkWithPromtool(_ text: String) throws {
    guard let promtool = Paths.which("promtool") else {
        print("skipped: promtool not installed (apt-get install prometheus)")
        return
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: promtool)
    p.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "promtool check metrics: \(said)\n\(text)")
}
