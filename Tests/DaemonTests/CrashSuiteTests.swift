import Foundation
import Store
import Testing
import TouchpointCore

extension DaemonSuite {
    /// SPEC §7: `kill -9` at any instant, then a restart, loses nothing and sends nothing twice.
    @Suite("kill -9 at any instant") struct CrashSuite {
        /// One expected message: the trigger's token `n`, its id, and the kind of peer it goes to.
        struct Expected {
            var n: Int
            var id: String
            var kind: String
        }

        /// The deterministic event stream: identifies, pings (each one message), repeats and broken lines.
        struct Stream {
            /// Lines in order; `nil` stamps mean "stamp at write time" (a track or identify line template).
            var lines: [(user: String, make: (Instant) -> String)] = []
            var expected: [Expected] = []
            var distinctEvents = 0
            var malformed = 0
            var repeats = 0

            init(customers: Int, pings: Int, seed: UInt64) {
                var rng = SeededGenerator(seed: seed)
                for c in 0..<customers {
                    let user = "u\(c)"
                    lines.append((user, { Line.identify(user, index: c, at: $0) }))
                }
                distinctEvents = customers
                var written: [(user: String, make: (Instant) -> String)] = []
                var laters = 0
                for n in 0..<pings {
                    var user = "u\(Int.random(in: 0..<customers, using: &rng))"
                    let roll = Int.random(in: 0..<100, using: &rng)
                    if roll >= 90 {
                        // A second `Later Ping` of a customer within its 2 s wait would replace the first
                        // (SPEC §2: the timer restarts); one per customer keeps "one trigger, one message".
                        guard laters < customers else { continue }
                        user = "u\(laters)"
                        laters += 1
                    }
                    let (event, rule, kind) =
                        switch roll {
                        case 0..<45: ("Chat Ping", "ping-chat", "webhook")
                        case 45..<65: ("SMS Ping", "ping-sms", "file")
                        case 65..<90: ("Mail Ping", "ping-mail", "smtp")
                        default: ("Later Ping", "ping-later", "webhook")
                        }
                    let id = "e-\(n)"
                    let line: (user: String, make: (Instant) -> String) = (
                        user, { Line.track(event, user: user, id: id, n: n, at: $0) }
                    )
                    lines.append(line)
                    written.append(line)
                    distinctEvents += 1
                    expected.append(
                        Expected(n: n, id: Line.messageId(rule: rule, user: user, trigger: id), kind: kind))
                    // Now and then the same event again (a producer's retry): applied once.
                    if Int.random(in: 0..<100, using: &rng) == 0,
                        let again = written.randomElement(using: &rng)
                    {
                        lines.append(again)
                        repeats += 1
                    }
                    if Int.random(in: 0..<300, using: &rng) == 0 {
                        lines.append(
                            ("", { _ in "{\"type\":\"track\",\"event\":\"Chat Ping\", broken \(n)" }))
                        malformed += 1
                    }
                }
            }
        }

        /// With `lateness: 3s` the sequencer holds each event for three seconds, so most kills land while lines
        /// wait for the watermark and are read again after the restart.
        @Test(
            "kill -9 many times while events stream in: nothing lost, nothing applied twice, nothing sent twice",
            arguments: ["0s", "3s"])
        func killNineAnyInstant(lateness: String) async throws {
            let env = ProcessInfo.processInfo.environment
            let kills = Int(env["TOUCHPOINT_CRASH_KILLS"] ?? "") ?? 25
            let seed = UInt64(env["TOUCHPOINT_CRASH_SEED"] ?? "") ?? 20_261_123
            let began = Date()
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-crash-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            // Slow answers on a fifth of the requests widen the accepted-but-not-recorded window.
            let http = try Peer(
                "slow_http_peer.py", record: scratch.appendingPathComponent("http.jsonl"),
                arguments: ["200", "20"])
            defer { http.stop() }
            let smtp = try Peer(
                "mini_smtp_peer.py", record: scratch.appendingPathComponent("smtp.jsonl"),
                arguments: ["200", "20"])
            defer { smtp.stop() }
            let box = try Sandbox(
                channels: """
                      chat: { kind: webhook, url: "http://127.0.0.1:\(http.port)/ok", secret: "whsec_dGVzdHNlY3JldA==" }
                      email: { kind: smtp, url: "smtp://127.0.0.1:\(smtp.port)", from: "news@shop.example" }
                      sms: { kind: file, path: outbox }
                    """, lateness: lateness)
            defer { box.remove() }

            let stream = Stream(customers: 300, pings: 2700, seed: seed)
            var rng = SeededGenerator(seed: seed ^ 0xC0FFEE)
            // Chunks of the stream, each written at once, with a pause after it.
            var chunks: [Range<Int>] = []
            var at = 0
            while at < stream.lines.count {
                let size = Int.random(in: 5...100, using: &rng)
                chunks.append(at..<min(stream.lines.count, at + size))
                at += size
            }

            var daemon = try box.startDaemon()
            defer { daemon.kill9() }
            var killed = 0
            var chunk = 0
            var lastStamp = Int64.min
            var lineCount = 0
            var nextWrite = Date()
            var nextKill = Date().addingTimeInterval(Double.random(in: 0.2...2.0, using: &rng))
            while killed < kills || chunk < chunks.count {
                let now = Date()
                if chunk < chunks.count && now >= nextWrite {
                    let range = chunks[chunk]
                    // Stamps strictly increase (a ping's message is never replaced by the next one's) and
                    // sit at or just before the wall clock, as a live producer's would.
                    var stamp = max(lastStamp + 1, wallNow().milliseconds - Int64(range.count))
                    var text: [String] = []
                    for i in range {
                        text.append(stream.lines[i].make(Instant(milliseconds: stamp)))
                        lastStamp = stamp
                        stamp += 1
                    }
                    try box.append(text, to: String(format: "stream-%03d.jsonl", lineCount / 1000))
                    lineCount += range.count
                    chunk += 1
                    nextWrite = now.addingTimeInterval(Double.random(in: 0.15...0.45, using: &rng))
                }
                if killed < kills && now >= nextKill {
                    daemon.kill9()
                    killed += 1
                    if Bool.random(using: &rng) {
                        try await Task.sleep(nanoseconds: UInt64.random(in: 0...200_000_000, using: &rng))
                    }
                    daemon = try box.startDaemon()
                    nextKill = Date().addingTimeInterval(Double.random(in: 0.2...2.0, using: &rng))
                }
                try await Task.sleep(nanoseconds: 10_000_000)
            }

            // Let the last daemon drain everything: every event applied, every timer fired, every row final.
            let store = try box.openStore()
            let expectedCount = stream.expected.count
            let drained = try await eventuallyAsync(within: 90) {
                let s = try await store.status()
                let open = (s.outbox[.pending] ?? 0) + (s.outbox[.sending] ?? 0) + (s.outbox[.retry] ?? 0)
                return open == 0 && s.eventsApplied >= stream.distinctEvents && (s.pendingTimers ?? 0) == 0
            }
            // SIGTERM before the service group traps it would kill the daemon the default way (status 15):
            // let the last one finish starting first.
            try await daemon.running()
            try await Task.sleep(nanoseconds: 300_000_000)
            daemon.signal(SIGTERM)
            let exit = await daemon.waitForExit(seconds: 30)
            let status = try await store.status()
            #expect(drained, "not drained: \(status)\nlog tail:\n\(daemon.logText().suffix(3000))")
            #expect(exit == 0, "last daemon's exit status after SIGTERM")

            // What the peers received.
            var webhookCount: [String: Int] = [:]
            var webhookTokens: [String: Set<String>] = [:]
            for r in http.lines() {
                guard let id = r["id"] as? String else { continue }
                webhookCount[id, default: 0] += 1
                if let body = r["body"] as? String, let token = Self.token(in: body) {
                    webhookTokens[token, default: []].insert(id)
                }
            }
            var smtpCount: [String: Int] = [:]
            for r in smtp.lines() {
                guard let mid = r["message_id"] as? String else { continue }
                let id = String(mid.dropFirst().prefix { $0 != "@" })
                smtpCount[id, default: 0] += 1
            }
            let files = Set(box.fileOutboxNames())

            var delivered = 0
            var unknown = 0
            var lost: [String] = []
            var badState: [String] = []
            var undelivered: [String] = []
            var duplicatesById = 0
            var duplicateReport: [String] = []
            let expectedIds = Set(stream.expected.map(\.id))
            for e in stream.expected {
                guard let row = try await store.outboxRow(messageId: e.id) else {
                    lost.append("#\(e.n) \(e.id) (\(e.kind))")
                    continue
                }
                switch row.state {
                case .delivered:
                    delivered += 1
                    let arrived =
                        switch e.kind {
                        case "webhook": webhookCount[e.id, default: 0] > 0
                        case "smtp": smtpCount[e.id, default: 0] > 0
                        default: files.contains(e.id + ".json")
                        }
                    if !arrived {
                        undelivered.append(
                            "#\(e.n) \(e.id) (\(e.kind)) delivered in the store, not at the peer")
                    }
                case .unknown where e.kind == "smtp":
                    unknown += 1
                default:
                    badState.append(
                        "#\(e.n) \(e.id) (\(e.kind)): \(row.state.rawValue) \(row.reason ?? "") \(row.lastAnswer ?? "")"
                    )
                }
                if e.kind == "webhook", let n = webhookCount[e.id], n > 1 {
                    duplicatesById += n - 1
                    let attempts = try await store.attempts(messageId: e.id)
                    let requeued = attempts.contains { $0.outcome == AttemptRecord.interrupted }
                    duplicateReport.append(
                        "#\(e.n) \(e.id) arrived \(n)x; recovery re-queued it: \(requeued)")
                    #expect(
                        requeued,
                        "webhook \(e.id) arrived \(n) times but was never caught mid-send by a crash")
                }
            }
            let strangers =
                webhookCount.keys.filter { !expectedIds.contains($0) }
                + smtpCount.keys.filter { !expectedIds.contains($0) }
            let twiceWithDifferentIds = webhookTokens.filter { $0.value.count > 1 }
            let smtpTwice = smtpCount.filter { $0.value > 1 }

            let wall = Date().timeIntervalSince(began)
            print(
                "crash suite (lateness \(lateness)): kills survived \(killed), events \(stream.distinctEvents) (+\(stream.repeats) repeated, "
                    + "\(stream.malformed) malformed), messages expected \(expectedCount) / delivered \(delivered) / "
                    + "duplicated-by-id \(duplicatesById) / unknown \(unknown) / lost \(lost.count), wall time "
                    + String(format: "%.1f s", wall))
            for d in duplicateReport { print("  duplicate by id: \(d)") }

            #expect(lost.isEmpty, "messages with no outbox row: \(lost.prefix(20))")
            #expect(badState.isEmpty, "rows in a state they may not end in: \(badState.prefix(20))")
            #expect(undelivered.isEmpty, "\(undelivered.prefix(20))")
            #expect(delivered + unknown == expectedCount)
            #expect(strangers.isEmpty, "messages nobody expected: \(strangers.prefix(20))")
            #expect(
                twiceWithDifferentIds.isEmpty,
                "a trigger delivered under two ids: \(twiceWithDifferentIds.prefix(10))")
            #expect(smtpTwice.isEmpty, "SMTP messages that arrived twice: \(smtpTwice.prefix(10))")
            #expect(status.eventsApplied == stream.distinctEvents, "no event applied twice, none lost")
            #expect(status.quarantined == stream.malformed, "each malformed line quarantined once")
            #expect(status.dropped == 0)
            #expect(status.outbox[.dead, default: 0] == 0)
            #expect(files.count == stream.expected.filter { $0.kind == "file" }.count)
        }

        /// The `n` in `token [n]`.
        static func token(in body: String) -> String? {
            guard let open = body.range(of: "token [") else { return nil }
            let rest = body[open.upperBound...]
            guard let close = rest.firstIndex(of: "]") else { return nil }
            return String(rest[..<close])
        }
    }
}

/// Polls an async `condition` every 100 ms until it holds or `seconds` pass.
func eventuallyAsync(within seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await condition() { return true }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    return try await condition()
}
