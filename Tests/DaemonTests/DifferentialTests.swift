import Daemon
import Foundation
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Issue 11's definition of done: `touchpoint run` makes exactly the decisions `touchpoint dry-run` makes
    /// from the same lines, whatever the batch boundaries, the file split or a `kill -9` in the middle.
    @Suite("the daemon decides what the dry-run decides") struct Differential {
        /// A generated event story: every starter rule, several customers in four zones, lines arriving late
        /// (inside and beyond `lateness`), repeated by a producer's retry, and malformed.
        struct Story {
            var lines: [String] = []
            /// Events the daemon must apply in the end: valid lines less repeated `messageId`s.
            var distinct = 0
            var lateInside = 0
            var lateBeyond = 0
            var repeats = 0
            var malformed = 0

            init(seed: UInt64, end: Instant) {
                var rng = SeededGenerator(seed: seed)
                // (arrival key, order, line): lines are sorted by when they arrive, not by their timestamps.
                var arriving: [(key: Int64, order: Int, line: String, id: String?)] = []
                func add(_ at: Instant, _ line: String, id: String?) {
                    arriving.append((at.milliseconds, arriving.count, line, id))
                }
                let start = end - .days(45)
                let zones = ["Asia/Shanghai", "Europe/London", "America/New_York", "UTC"]
                let customers = 10
                var n = 0
                for c in 0..<customers {
                    let user = "d\(c)"
                    var t = Instant(
                        milliseconds: start.milliseconds + Int64.random(in: 0..<3_600_000, using: &rng))
                    var traits = ["\"first_name\":\"F\(c)\"", "\"timezone\":\"\(zones[c % 4])\""]
                    if c % 5 != 3 { traits.append("\"email\":\"\(user)@example.com\"") }
                    if c % 3 != 0 { traits.append("\"phone\":\"+1555\(String(2_000_000 + c))\"") }
                    if c % 4 == 1 { traits.append("\"chat_id\":\"chat-\(user)\"") }
                    if c % 2 == 0 { traits.append("\"locale\":\"zh-CN\"") }
                    add(
                        t,
                        #"{"type":"identify","userId":"\#(user)","timestamp":"\#(Line.time(t))","traits":{\#(traits.joined(separator: ","))}}"#,
                        id: nil)
                    func track(_ name: String, _ props: String, after minutes: ClosedRange<Int64>) {
                        t =
                            t
                            + TimeSpan(
                                seconds: Int64.random(in: minutes, using: &rng) * 60
                                    + Int64.random(in: 0..<60, using: &rng))
                        // The story ends an hour before the wall clock: nothing in it is future-dated.
                        guard t <= end else { return }
                        n += 1
                        let id = "ev-\(n)"
                        add(
                            t,
                            #"{"type":"track","event":"\#(name)","userId":"\#(user)","messageId":"\#(id)","timestamp":"\#(Line.time(t))","properties":{\#(props)}}"#,
                            id: id)
                    }
                    if c % 3 == 2 { track("Signed Up", "", after: 1...5) }
                    var sessions = 0
                    while t < end - .hours(14), sessions < 6 {
                        sessions += 1
                        let cart = "c-\(user)-\(sessions)"
                        let order = "o-\(user)-\(sessions)"
                        let price = Int.random(in: 5...90, using: &rng)
                        // Sessions hours to days apart: a customer quiet for 30 days gets the win-back.
                        track(
                            "Product Viewed", #""name":"Item \#(sessions)","url":"https://s/p/\#(sessions)""#,
                            after: 20...8_000)
                        let roll = Int.random(in: 0..<100, using: &rng)
                        if roll < 20 { continue }  // browsed, left
                        track(
                            "Product Added",
                            #""price":\#(price),"cart_id":"\#(cart)","cart_url":"https://s/c/\#(cart)","name":"Item \#(sessions)""#,
                            after: 1...30)
                        if roll < 40 { continue }  // abandoned the cart
                        if roll < 55 {
                            track(
                                "Order Completed",
                                #""cart_id":"c-other","order_id":"\#(order)x","total":\#(price)"#,
                                after: 5...70)
                            continue  // the order of another cart: the reminder still goes out
                        }
                        track(
                            "Checkout Started",
                            #""cart_id":"\#(cart)","checkout_url":"https://s/k/\#(cart)""#, after: 2...40)
                        if roll < 65 { continue }  // abandoned the checkout
                        if roll < 75 {
                            track(
                                "Payment Failed",
                                #""cart_id":"\#(cart)","order_id":"\#(order)","payment_url":"https://s/pay/\#(order)""#,
                                after: 1...20)
                            if roll < 70 { continue }  // never retried
                            track("Payment Succeeded", #""order_id":"\#(order)""#, after: 1...25)
                        }
                        track(
                            "Order Completed",
                            #""cart_id":"\#(cart)","order_id":"\#(order)","total":\#(price),"currency":"EUR""#,
                            after: 1...20)
                        if roll < 90 {
                            track("Order Delivered", #""order_id":"\#(order)""#, after: 600...1500)
                        }
                        if roll >= 95 { track("Order Refunded", #""order_id":"\#(order)""#, after: 30...600) }
                        if Int.random(in: 0..<4, using: &rng) == 0 {
                            track(
                                "Message Opened",
                                #""channel":"\#(["email", "sms", "chat"].randomElement(using: &rng)!)""#,
                                after: 10...120)
                        }
                        if c == 4, sessions == 2 {
                            track("Unsubscribed", #""channel":"email""#, after: 1...10)
                        }
                    }
                }
                // How lines arrive: most in time order, some late inside the 5-minute lateness (30 s to 4 min),
                // some beyond it (20 min to 3 h), some repeated by a producer's retry, two malformed.
                var delayed: [(key: Int64, order: Int, line: String, id: String?)] = []
                for a in arriving {
                    var key = a.key
                    let roll = Int.random(in: 0..<100, using: &rng)
                    if roll < 8 {
                        key += Int64.random(in: 30_000...240_000, using: &rng)
                        lateInside += 1
                    } else if roll < 12 {
                        key += Int64.random(in: 1_200_000...10_800_000, using: &rng)
                        lateBeyond += 1
                    }
                    delayed.append((key, a.order, a.line, a.id))
                    if a.id != nil, Int.random(in: 0..<100, using: &rng) < 4 {
                        delayed.append(
                            (key + Int64.random(in: 1_000...7_200_000, using: &rng), a.order, a.line, a.id))
                        repeats += 1
                    }
                }
                delayed.append(
                    (
                        start.milliseconds + 86_400_000, -1,
                        #"{"type":"track","event":"Product Added", broken"#, nil
                    ))
                delayed.append(
                    (
                        start.milliseconds + 2 * 86_400_000, -2,
                        #"{"type":"track","event":"Order Completed","timestamp":"\#(Line.time(start))"}"#, nil
                    ))
                malformed = 2
                delayed.sort { $0.key != $1.key ? $0.key < $1.key : $0.order < $1.order }
                lines = delayed.map(\.line)
                distinct = arriving.count
            }
        }

        /// A sandbox running the shipped rules and templates, every channel into files, no window expiring.
        static func sandbox() throws -> Sandbox {
            let box = try Sandbox(
                channels: """
                      email: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                    """, rules: "rules: []\n",
                extraConfig: "max-lateness: 60d\n", lateness: "5m")
            // The starter set, not the ping rules; quiet hours and the frequency cap as shipped by default.
            let fm = FileManager.default
            try fm.removeItem(at: box.rules)
            try fm.removeItem(at: box.root.appendingPathComponent("templates"))
            try fm.copyItem(at: Paths.packageRoot.appendingPathComponent("rules"), to: box.rules)
            try fm.copyItem(
                at: Paths.packageRoot.appendingPathComponent("templates"),
                to: box.root.appendingPathComponent("templates"))
            var config = try String(contentsOf: box.config, encoding: .utf8)
            config = config.replacingOccurrences(
                of: "quiet-hours: none", with: "quiet-hours: \"21:00-08:00\"")
            config = config.replacingOccurrences(
                of: "frequency-cap: none", with: "frequency-cap: { max: 3, per: 7d }")
            try config.write(to: box.config, atomically: true, encoding: .utf8)
            return box
        }

        /// One decision as both sides can state it.
        struct Decision: Hashable, CustomStringConvertible {
            var messageId: String
            var rule: String
            var customer: String
            var decision: String
            var reason: String?
            var channel: String?
            var sendAt: Int64?

            var description: String {
                "\(decision) \(rule) \(customer) \(messageId) \(reason ?? "-") \(channel ?? "-") \(sendAt.map { Line.time(Instant(milliseconds: $0)) } ?? "-")"
            }
        }

        /// The store's outbox and dropped rows (read with Python's sqlite3, beside the stopped daemon).
        static func daemonDecisions(_ box: Sandbox) throws -> Set<Decision> {
            let script = """
                import json, sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                for r in db.execute("SELECT message_id, rule, customer, channel, send_at FROM outbox"):
                    print(json.dumps({"id": r[0], "rule": r[1], "customer": r[2], "decision": "send", "channel": r[3], "send_at": r[4]}))
                for r in db.execute("SELECT message_id, rule, customer, reason FROM dropped"):
                    print(json.dumps({"id": r[0], "rule": r[1], "customer": r[2], "decision": "suppressed", "reason": r[3]}))
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try Paths.python())
            p.arguments = ["-c", script, box.store.path]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            var set = Set<Decision>()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    continue
                }
                set.insert(
                    Decision(
                        messageId: o["id"] as! String, rule: o["rule"] as! String,
                        customer: o["customer"] as! String,
                        decision: o["decision"] as! String, reason: o["reason"] as? String,
                        channel: o["channel"] as? String, sendAt: (o["send_at"] as? NSNumber)?.int64Value))
            }
            return set
        }

        /// `touchpoint dry-run --until WATERMARK` on the files, and its summary line.
        static func dryRunDecisions(_ box: Sandbox, files: [String], until: Instant) throws -> (
            Set<Decision>, String
        ) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
            p.arguments =
                [
                    "dry-run", "--config", box.config.path, "--show-suppressed", "--format", "json",
                    "--until", Line.time(until),
                ]
                + files.map { box.events.appendingPathComponent($0).path }
            let out = Pipe()
            let err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            var set = Set<Decision>()
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    continue
                }
                let send = o["decision"] as? String == "send"
                set.insert(
                    Decision(
                        messageId: o["message_id"] as! String, rule: o["rule"] as! String,
                        customer: o["customer"] as! String, decision: o["decision"] as! String,
                        reason: o["reason"] as? String, channel: send ? o["channel"] as? String : nil,
                        sendAt: send
                            ? (o["send_at"] as? String).flatMap { ISO8601.parse($0)?.instant.milliseconds }
                            : nil))
            }
            let summary =
                errors.split(separator: "\n").last { $0.hasPrefix("dry-run:") }.map(String.init) ?? errors
            return (set, summary)
        }

        @Test(
            "same lines, several batch splits, two files, a kill -9 mid-read: the daemon's decisions are the dry-run's",
            .timeLimit(.minutes(5)),
            arguments: [
                (batch: 1, files: 1, kill: false), (batch: 7, files: 2, kill: false),
                (batch: 5000, files: 1, kill: false),
                (batch: 1, files: 2, kill: true),
            ])
        func sameDecisions(batch: Int, files: Int, kill: Bool) async throws {
            // Reproduction knobs: the story's end (it is dated from the wall clock, so what it decides
            // depends on the hour it runs), and the kill after N events applied instead of after 400 ms.
            let env = ProcessInfo.processInfo.environment
            let killAt = env["TOUCHPOINT_DIFFERENTIAL_KILL_AT"].flatMap(Int.init)
            if killAt != nil, !kill { return }
            let end =
                env["TOUCHPOINT_DIFFERENTIAL_END"].flatMap { ISO8601.parse($0)?.instant }
                ?? (wallNow() - .hours(1))
            let story = Story(seed: 20_261_202, end: end)
            let box = try Self.sandbox()
            defer { box.remove() }
            let names = files == 1 ? ["story.jsonl"] : ["story-a.jsonl", "story-b.jsonl"]
            let cut = files == 1 ? story.lines.count : story.lines.count / 2
            try box.append(Array(story.lines[..<cut]), to: names[0])
            if files == 2 { try box.append(Array(story.lines[cut...]), to: names[1]) }

            var daemon = try box.startDaemon(arguments: ["--batch-lines", "\(batch)"])
            defer { daemon.kill9() }
            if kill {
                try await daemon.running()
                if let at = killAt {
                    let s = try box.openStore()
                    _ = try await eventuallyAsync(within: 60) { try await s.status().eventsApplied >= at }
                } else {
                    try await Task.sleep(nanoseconds: 400_000_000)
                }
                daemon.kill9()
                let before = try await box.openStore().status().eventsApplied
                print("differential: killed with \(before) of \(story.distinct) events applied")
                daemon = try box.startDaemon(arguments: ["--batch-lines", "\(batch)"])
            }
            try await daemon.running()
            let store = try box.openStore()
            // Drained: every event applied (the last batch caught up, so the wall clock released the rest).
            let drained = try await eventuallyAsync(within: 120) {
                try await store.status().eventsApplied == story.distinct
            }
            try await Task.sleep(nanoseconds: 300_000_000)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 30) == 0)
            let status = try await store.status()
            #expect(
                drained,
                "applied \(status.eventsApplied) of \(story.distinct)\nlog:\n\(daemon.logText().suffix(2000))"
            )
            #expect(status.quarantined == story.malformed)
            let sequencer = try #require(
                try await store.global("sequencer").map { try SequencerState.decode($0) })
            #expect(sequencer.held == 0)

            let mine = try Self.daemonDecisions(box)
            let (theirs, summary) = try Self.dryRunDecisions(
                box, files: names, until: Instant(milliseconds: sequencer.watermark))
            let onlyDaemon = mine.subtracting(theirs).sorted { $0.messageId < $1.messageId }
            let onlyDry = theirs.subtracting(mine).sorted { $0.messageId < $1.messageId }
            #expect(
                onlyDaemon.isEmpty && onlyDry.isEmpty,
                "batch \(batch), \(files) file(s), kill \(kill), story end \(Line.time(end)): only the daemon:\n\(onlyDaemon.map(\.description).joined(separator: "\n"))\nonly the dry-run:\n\(onlyDry.map(\.description).joined(separator: "\n"))"
            )
            // Both count the same lines as late.
            #expect(summary.contains("\(sequencer.lateCount) later than the lateness window"), "\(summary)")
            print(
                "differential batch=\(batch) files=\(files) kill=\(kill): \(story.lines.count) lines, \(story.distinct) events "
                    + "(late inside \(story.lateInside), beyond \(story.lateBeyond) → \(sequencer.lateCount) late, "
                    + "\(story.repeats) repeated, \(story.malformed) malformed); decisions \(mine.count): "
                    + Dictionary(grouping: mine, by: { "\($0.rule):\($0.reason ?? "send")" }).map {
                        "\($0.key) \($0.value.count)"
                    }
                    .sorted().joined(separator: ", "))
        }
    }
}
