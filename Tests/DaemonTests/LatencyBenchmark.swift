import Foundation
import Testing
import TouchpointCore

extension DaemonSuite {
    /// Opt-in (`TOUCHPOINT_LATENCY=1 swift test --filter DaemonTests.DaemonSuite/Latency`): not a CI test,
    /// it measures and prints, and asserts only that every message arrived.
    @Suite("latency", .enabled(if: ProcessInfo.processInfo.environment["TOUCHPOINT_LATENCY"] == "1"))
    struct Latency {
        @Test("end-to-end latency, event line appended → webhook peer received, at ~100 events/s")
        func appendToWebhook() async throws {
            let record = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-latency-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: record) }
            let peer = try Peer("slow_http_peer.py", record: record)
            defer { peer.stop() }
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(peer.port)/ok", secret: "whsec_dGVzdHNlY3JldA==" }
                      sms: { kind: file, path: outbox }
                      email: { kind: file, path: mail }
                    """)
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            let count = Int(ProcessInfo.processInfo.environment["TOUCHPOINT_LATENCY_EVENTS"] ?? "") ?? 200
            try box.append(
                (0..<count).map { Line.identify("u\($0)", index: $0, at: wallNow().plus(ms: -1_000)) })
            try await Task.sleep(nanoseconds: 1_000_000_000)
            var appended: [String: Double] = [:]
            let start = Date()
            for n in 0..<count {
                // Paced to 100 events/s against the schedule, not the previous write.
                let due = start.addingTimeInterval(Double(n) / 100)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                let now = Date().timeIntervalSince1970
                try box.append([Line.track("Chat Ping", user: "u\(n)", id: "l-\(n)", n: n, at: wallNow())])
                appended["\(n)"] = now
            }
            let all = await eventually(within: 30) { peer.lines().count >= count }
            #expect(all)
            var latencies: [Double] = []
            for r in peer.lines() {
                guard let body = r["body"] as? String, let token = CrashSuite.token(in: body),
                    let sent = appended[token], let got = r["time"] as? Double
                else { continue }
                latencies.append((got - sent) * 1000)
            }
            latencies.sort()
            func pct(_ p: Double) -> Double {
                latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            print(
                String(
                    format:
                        "latency append→webhook over %d events at 100/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    latencies.count, pct(0.5), pct(0.99), latencies.last ?? 0))
        }
    }
}
