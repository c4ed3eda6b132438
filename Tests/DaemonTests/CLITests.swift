import Foundation
import Testing
import TouchpointCore

/// `touchpoint ARGUMENTS…` run to the end, stdout and stderr apart.
struct CLIRun {
    var stdout: String
    var stderr: String
    var status: Int32

    init(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executable ?? Paths.requireBinary())
        p.arguments = arguments
        p.currentDirectoryURL = Paths.packageRoot
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // stderr is read on another thread so a full pipe cannot stall the child.
        let errBox = ErrBox()
        let reader = Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errBox.done.signal()
        }
        reader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        errBox.done.wait()
        p.waitUntilExit()
        stdout = String(decoding: data, as: UTF8.self)
        stderr = String(decoding: errBox.data, as: UTF8.self)
        status = p.terminationStatus
    }

    /// Both streams, for failure messages.
    var all: String { stdout + stderr }

    /// The example project's config.
    static var exampleConfig: String {
        Paths.packageRoot.appendingPathComponent("examples/touchpoint.yaml").path
    }
    /// The example story.
    static var exampleEvents: String {
        Paths.packageRoot.appendingPathComponent("examples/events.jsonl").path
    }
}

/// The reader thread's result; the semaphore orders the write before the read.
private final class ErrBox: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

extension DaemonSuite {
    /// Issue 15 part B: a command line that explains itself, through the real binary.
    @Suite("the command line") struct CommandLine {
        @Test("--version prints the version and exits 0")
        func version() throws {
            let r = try CLIRun(["--version"])
            #expect(r.status == 0, "\(r.all)")
            #expect(r.stdout.hasPrefix("touchpoint "), "\(r.all)")
            #expect(r.stdout.contains("."), "\(r.all)")
        }

        @Test("--explain for a customer with no events exits 1 and says so")
        func explainNobody() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--explain", "nobody", CLIRun.exampleEvents,
            ])
            #expect(r.status == 1, "\(r.all)")
            #expect(r.stderr.contains("--explain nobody: no events for customer 'nobody'"), "\(r.stderr)")
        }

        @Test("--until takes a bare date (midnight in the default timezone) and a local time")
        func untilDate() throws {
            let byDate = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until", "2026-11-05",
                CLIRun.exampleEvents,
            ])
            #expect(byDate.status == 0, "\(byDate.all)")
            let byTime = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until",
                "2026-11-05T00:00:00+08:00", CLIRun.exampleEvents,
            ])
            let byLocal = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until",
                "2026-11-05T00:00",
                CLIRun.exampleEvents,
            ])
            #expect(!byDate.stdout.isEmpty)
            // The example's default-timezone is Asia/Shanghai: the date is its midnight there.
            #expect(byDate.stdout == byTime.stdout)
            #expect(byLocal.stdout == byTime.stdout)
            let later = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until", "2026-11-07",
                CLIRun.exampleEvents,
            ])
            #expect(later.stdout.count > byDate.stdout.count)
            let bad = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--until", "2026-02-30", CLIRun.exampleEvents,
            ])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--until '2026-02-30' is not a date"), "\(bad.stderr)")
        }

        @Test("durations print as written: the win-back rule's 30d is 30d in the explanation, not 4w2d")
        func durationsAsWritten() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--explain", "u-olivia", "--format", "json",
                CLIRun.exampleEvents,
            ])
            #expect(r.status == 0, "\(r.all)")
            #expect(!r.all.contains("4w2d"), "\(r.all)")
            #expect(r.stderr.contains("30d"), "\(r.stderr)")
        }

        @Test(
            "check on kind: smpt gives one positioned error with did-you-mean, and run refuses with the same words"
        )
        func smptOnce() async throws {
            let box = try Sandbox(
                channels: """
                      email: { kind: smpt, url: "smtp://127.0.0.1:25", from: "a@b.example" }
                      sms: { kind: file, path: outbox }
                      chat: { kind: file, path: outbox }
                    """)
            defer { box.remove() }
            let check = try box.touchpoint(["check"])
            #expect(check.status == 1)
            let errors = check.output.split(separator: "\n").filter { $0.contains(": error: ") }
            #expect(errors.count == 1, "\(check.output)")
            let line = try #require(errors.first)
            #expect(
                line.hasSuffix(
                    "touchpoint.yaml:10:18: error: unknown channel kind 'smpt' in channel 'email'; did you mean 'smtp'?; kinds are file, smtp, twilio, webhook"
                ), "\(check.output)")
            let daemon = try box.startDaemon()
            #expect(await daemon.waitForExit(seconds: 30) == 1)
            #expect(daemon.logText().contains(String(line)), "\(daemon.logText())")
        }

        /// `touchpoint outbox SUBCOMMAND … --config <the sandbox's>`: both streams and the exit status.
        static func outbox(_ box: Sandbox, _ arguments: [String]) throws -> (output: String, status: Int32) {
            let r = try CLIRun(["outbox"] + arguments + ["--config", box.config.path])
            return (r.all, r.status)
        }

        static let timerRules =
            Sandbox.pingRules + """
                  - name: miss-you
                    when: { inactive: 30d }
                    send: { template: ping, channels: [chat] }

                """

        static func fileChannels() -> String {
            """
              email: { kind: file, path: outbox }
              sms: { kind: file, path: outbox }
              chat: { kind: file, path: outbox }
            """
        }

        @Test(
            "status counts armed inactivity timers, shows refused reloads, and says the same in --format json; outbox list and show; retry of an unknown id says why"
        )
        func statusAndOutbox() async throws {
            let box = try Sandbox(channels: Self.fileChannels(), rules: Self.timerRules)
            defer { box.remove() }
            let daemon = try await box.startDaemon(arguments: ["--log-format", "json"]).running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            let id = Line.messageId(rule: "ping-chat", user: "u1", trigger: "e1")
            #expect(await eventually(within: 30) { box.fileOutboxNames().count == 1 })
            #expect(
                await eventually(within: 30) {
                    (try? box.status())?.contains(
                        "outbox           pending 0, sending 0, retry 0, delivered 1") == true
                },
                "\((try? box.status()) ?? "")")
            let status = try box.status()
            #expect(
                status.contains("pending timers   1 (0 message(s) waiting, 1 inactivity timer(s))"),
                "\(status)")

            let json = try box.touchpoint(["status", "--format", "json"])
            #expect(json.status == 0, "\(json.output)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any],
                "\(json.output)")
            #expect(object["inactivity_timers"] as? Int == 1)
            #expect(object["pending_timers"] as? Int == 1)
            #expect((object["outbox"] as? [String: Any])?["delivered"] as? Int == 1)
            #expect(object["events_applied"] as? Int == 2)

            let list = try Self.outbox(box, ["list"])
            #expect(list.status == 0)
            let rows = list.output.split(separator: "\n")
            #expect(rows.first?.hasPrefix("ID") == true, "\(list.output)")
            #expect(rows.count == 2, "\(list.output)")
            #expect(rows.last?.hasPrefix(id + "  delivered  1") == true, "\(list.output)")
            let none = try Self.outbox(box, ["list", "--state", "dead"])
            #expect(none.output.contains("no outbox rows in state dead"), "\(none.output)")
            let typo = try Self.outbox(box, ["list", "--state", "daed"])
            #expect(typo.status != 0)
            #expect(typo.output.contains("did you mean 'dead'?"), "\(typo.output)")

            let show = try Self.outbox(box, ["show", id])
            #expect(show.status == 0, "\(show.output)")
            #expect(show.output.contains("state            delivered"), "\(show.output)")
            #expect(show.output.contains("channel          chat (file)"), "\(show.output)")
            #expect(show.output.contains("  #1  ") && show.output.contains("delivered: "), "\(show.output)")
            let shownJSON = try Self.outbox(box, ["show", id, "--format", "json"])
            let shown = try #require(
                try JSONSerialization.jsonObject(with: Data(shownJSON.output.utf8)) as? [String: Any])
            let attempts = try #require(shown["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1)
            #expect(attempts.first?["outcome"] as? String == "delivered")
            #expect(attempts.first?["answer"] is String)
            let missing = try Self.outbox(box, ["show", "nope"])
            #expect(missing.status == 1)
            #expect(missing.output.contains("no outbox row with message id 'nope'"), "\(missing.output)")

            let unknown = try Self.outbox(box, ["retry", "nope"])
            #expect(unknown.status == 1)
            #expect(unknown.output.contains("no outbox row with message id 'nope'"), "\(unknown.output)")
            let delivered = try Self.outbox(box, ["retry", id])
            #expect(delivered.status == 1)
            #expect(
                delivered.output.contains("is delivered, not dead or unknown: nothing to retry"),
                "\(delivered.output)")
            let allDead = try Self.outbox(box, ["retry", "--all-dead"])
            #expect(allDead.status == 1)
            #expect(allDead.output.contains("no dead letters to re-queue"), "\(allDead.output)")

            // A refused reload: logged once as a JSON line, and shown by status.
            try "rules:\n  - name: ping-chat\n    when: { event: Chat Ping\n".write(
                to: box.rules.appendingPathComponent("ping.yaml"), atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            #expect(
                await eventually(within: 30) {
                    (try? box.status())?.contains("SIGHUP: ") == true
                },
                "\(daemon.logText())")
            let after = try box.status()
            #expect(after.contains("refused reloads (newest first):"), "\(after)")
            #expect(after.contains("SIGHUP: "), "\(after)")
            #expect(after.contains("rules/ping.yaml:"), "\(after)")
            let refusedLines = daemon.logText().split(separator: "\n").filter { $0.contains("refused") }
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { ($0["message"] as? String)?.hasPrefix("reload (SIGHUP) refused") == true }
            #expect(refusedLines.count == 1, "\(daemon.logText())")
            #expect(refusedLines.first?["reload.reason"] as? String == "SIGHUP")
            let refusedJSON = try box.touchpoint(["status", "--format", "json"])
            let refusedObject = try #require(
                try JSONSerialization.jsonObject(with: Data(refusedJSON.output.utf8)) as? [String: Any])
            // The file watch may notice the broken file before the signal is handled and refuse it first
            // ("rule or template files changed"); the SIGHUP's own refusal is there either way.
            let reasons = (refusedObject["refused_reloads"] as? [[String: Any]])?.compactMap {
                $0["reason"] as? String
            }
            #expect(reasons?.contains("SIGHUP") == true, "\(refusedJSON.output)")
        }

        @Test("--log-format json: every log line is one JSON object with timestamp, level, label and message")
        func jsonLogs() async throws {
            let box = try Sandbox(channels: Self.fileChannels())
            defer { box.remove() }
            let daemon = try await box.startDaemon(arguments: ["--log-format", "json"]).running()
            defer { daemon.kill9() }
            let t = wallNow().plus(ms: -1_000)
            try box.append([
                Line.identify("u1", index: 1, at: t),
                Line.track("Chat Ping", user: "u1", id: "e1", n: 1, at: t.plus(ms: 1)),
            ])
            #expect(await eventually(within: 30) { box.fileOutboxNames().count == 1 })
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(seconds: 30) == 0)
            let lines = daemon.logText().split(separator: "\n")
            #expect(lines.count >= 3)
            for line in lines {
                let object = try #require(
                    try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
                #expect(object["timestamp"] is String && object["level"] is String, "\(line)")
                #expect(object["label"] is String && object["message"] is String, "\(line)")
            }
            let running = try #require(
                lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    .first { $0["message"] as? String == "touchpoint running" })
            #expect(running["rules"] as? String == "4")
            #expect(running["level"] as? String == "notice")
            let bad = try CLIRun(["run", "--config", box.config.path, "--log-format", "xml"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("xml"), "\(bad.stderr)")
        }

        @Test(
            "the dry-run table: a header, one aligned line per message sorted by time, a totals footer; forced when piped"
        )
        func table() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "table", "--show-suppressed",
                CLIRun.exampleEvents,
            ])
            #expect(r.status == 0, "\(r.all)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let header = try #require(lines.first)
            #expect(header.hasPrefix("TIME (CUSTOMER'S ZONE)   RULE"), "\(header)")
            for column in ["RULE", "CUSTOMER", "CHANNEL", "DECISION", "SUBJECT / TEXT"] {
                #expect(header.contains(column))
            }
            let footer = try #require(lines.last)
            #expect(
                footer
                    == "45 messages: 28 to send, 17 held back (cancelled 10, frequency-cap 1, no-reachable-channel 2, quiet-hours 1, rule-limit 2, unsubscribed 1)",
                "\(footer)")
            let rows = Array(lines.dropFirst().dropLast())
            #expect(rows.count == 45)
            // Aligned: the rule column starts at the same terminal cell on every line.
            let ruleColumn = header.range(of: "RULE")!.lowerBound.utf16Offset(in: header)
            for row in rows { #expect(row.dropFirst(ruleColumn).first != " ", "\(row)") }
            #expect(
                rows.contains {
                    $0.contains("cart-abandoned") && $0.contains("u42") && $0.contains("雷，您的购物车还在等您")
                        && $0.contains("2026-11-20 19:00 +08:00")
                })
            #expect(rows.contains { $0.contains("welcome") && $0.contains("held: no-reachable-channel") })
            // Sorted by the instant; the same run twice prints the same table.
            let again = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "table", "--show-suppressed",
                CLIRun.exampleEvents,
            ])
            #expect(again.stdout == r.stdout)
            // Piped without --format: JSON lines, as before.
            let piped = try CLIRun(["dry-run", "--config", CLIRun.exampleConfig, CLIRun.exampleEvents])
            #expect(piped.stdout.hasPrefix("{"), "\(piped.stdout.prefix(200))")
            #expect(!piped.stderr.contains("\r"))
        }

        @Test("a long replay shows a progress bar on a terminal's stderr, and none when stderr is piped")
        func progressBar() throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-progress-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let events = dir.appendingPathComponent("big.jsonl")
            var text = ""
            let pad = String(repeating: "x", count: 200)
            for i in 0..<24_000 {
                text +=
                    #"{"type":"identify","userId":"u\#(i)","timestamp":"2026-11-02T10:00:00Z","traits":{"note":"\#(pad)"}}"#
                    + "\n"
            }
            try text.write(to: events, atomically: true, encoding: .utf8)
            let piped = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", events.path,
            ])
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(!piped.stderr.contains("dry-run ["), "\(piped.stderr.prefix(300))")
            // script(1) gives the command a terminal; its stdout is sent to a file so only stderr reaches the tty.
            let out = dir.appendingPathComponent("out.jsonl")
            let command =
                "'\(try Paths.requireBinary())' dry-run --config '\(CLIRun.exampleConfig)' --format json '\(events.path)' > '\(out.path)'"
            let tty = try CLIRun(["-qefc", command, "/dev/null"], executable: "/usr/bin/script")
            #expect(tty.status == 0, "\(tty.all)")
            #expect(tty.stdout.contains("dry-run ["), "\(tty.stdout.suffix(300))")
            #expect(tty.stdout.contains("\u{1B}[K"), "the bar is cleared before the summary")
            #expect(tty.stdout.contains("dry-run: 24000 lines"), "\(tty.stdout.suffix(300))")
        }

        @Test(
            "the README's daemon walkthrough runs as written: the re-timed story's receipts are delivered, none window-expired"
        )
        func walkthrough() throws {
            let readme = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
            let section = try #require(
                readme.components(separatedBy: "### A walkthrough: the example story in the daemon")
                    .dropFirst().first)
            let block = try #require(
                section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```")
                    .first)
            // A copy of the project, so the walkthrough's store and outbox land there; the binary is the one
            // `swift test` built (the block's `swift build` would rebuild it in the copy); `sleep 5` becomes
            // a wait for the five receipts, so a loaded machine cannot fail it.
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tp-walk-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: root) }
            for folder in ["rules", "templates", "examples", "scripts"] {
                try FileManager.default.copyItem(
                    at: Paths.packageRoot.appendingPathComponent(folder),
                    to: root.appendingPathComponent(folder))
            }
            let binary = try Paths.requireBinary()
            var script = block.replacingOccurrences(of: "swift build\n", with: "")
                .replacingOccurrences(of: ".build/debug/touchpoint", with: "'\(binary)'")
            #expect(script.contains("sleep 5\n"))
            script = script.replacingOccurrences(
                of: "sleep 5\n",
                with:
                    "for i in $(seq 600); do [ \"$(ls outbox 2>/dev/null | wc -l)\" -ge 5 ] && break; sleep 0.2; done\n"
            )
            script = "set -e\ntrap 'kill %1 2>/dev/null || true' EXIT\ncd '\(root.path)'\n" + script
            let r = try CLIRun(["-c", script], executable: "/bin/bash")
            #expect(r.status == 0, "\(r.all)")
            #expect(r.stderr.contains("appended 94 lines to examples/live.jsonl"), "\(r.all)")
            #expect(r.stdout.contains("quarantined      2"), "\(r.stdout)")
            #expect(r.stdout.contains("delivered 5"), "\(r.stdout)")
            #expect(r.stdout.contains("inactivity timer(s)"), "\(r.stdout)")
            let listed = r.stdout.split(separator: "\n").filter {
                $0.contains("  delivered  ") && $0.contains("thank-you")
            }
            #expect(listed.count == 5, "\(r.stdout)")
            #expect(!r.all.contains("window-expired"), "\(r.all)")
            // The last lines remove what the walkthrough made, so it can be played again.
            #expect(
                !FileManager.default.fileExists(atPath: root.appendingPathComponent("touchpoint.sqlite").path)
            )
            #expect(
                !FileManager.default.fileExists(
                    atPath: root.appendingPathComponent("examples/live.jsonl").path))
        }

        @Test("every row of examples/README.md's dry-run tables is what the dry-run gives")
        func exampleReadmeRows() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--show-suppressed",
                CLIRun.exampleEvents,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            // "2026-11-03T19:00:00+00:00" → "2026-11-03 19:00 +00:00", as the README writes times.
            func short(_ iso: Any?) -> String {
                guard let iso = iso as? String, iso.count >= 22 else { return "-" }
                return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " " + iso.suffix(6)
            }
            let records = r.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let decided = Set(
                records.map { o -> String in
                    let send = o["decision"] as? String == "send"
                    let decision = send ? "send" : "suppressed `\(o["reason"] as? String ?? "?")`"
                    let time = send ? short(o["send_at"]) : "(due \(short(o["due_at"])))"
                    return [
                        o["rule"] as? String ?? "", o["customer"] as? String ?? "", decision,
                        send ? o["channel"] as? String ?? "-" : "—", time,
                    ].joined(separator: " | ")
                })
            let readme = try String(
                contentsOf: Paths.packageRoot.appendingPathComponent("examples/README.md"), encoding: .utf8)
            var rows = 0
            for line in readme.split(separator: "\n") where line.hasPrefix("| ") {
                let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                guard cells.count >= 6, Int(cells[0]) != nil else { continue }
                // The second table's "send at" may carry a note in parentheses after the time.
                var time = cells[5].replacingOccurrences(of: "−", with: "-")
                if !time.hasPrefix("("), let cut = time.range(of: " (") {
                    time = String(time[..<cut.lowerBound])
                }
                let row = [cells[1], cells[2], cells[3], cells[4], time].joined(separator: " | ")
                rows += 1
                #expect(
                    decided.contains(row), "examples/README.md row \(cells[0]) is not in the dry-run: \(row)")
            }
            #expect(rows == 34)
        }

        @Test(
            "status counts a message the engine dropped as dropped, in text and JSON, apart from the outbox's own"
        )
        func droppedCounted() async throws {
            let box = try Sandbox(channels: Self.fileChannels())
            defer { box.remove() }
            let daemon = try await box.startDaemon().running()
            defer { daemon.kill9() }
            // Two hours old: `ping-later` is due 2 s after it, long past its window plus max-lateness (1h).
            let old = wallNow().plus(ms: -7_200_000)
            try box.append([
                Line.identify("u1", index: 1, at: old),
                Line.track("Later Ping", user: "u1", id: "e1", n: 1, at: old.plus(ms: 1)),
            ])
            #expect(
                await eventually(within: 30) {
                    (try? box.status())?.contains("dropped          1\n") == true
                },
                "\((try? box.status()) ?? "")\n\(daemon.logText())")
            let status = try box.status()
            #expect(status.contains("dropped 0"), "\(status)")
            let json = try box.touchpoint(["status", "--format", "json"])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any],
                "\(json.output)")
            #expect(object["dropped"] as? Int == 1)
            #expect(object["dropped_from_outbox"] as? Int == 0)
            #expect((object["outbox"] as? [String: Any])?["dropped"] as? Int == 0)
        }

        @Test(
            "check warns at the text about a Slack chat template that already breaks a Block Kit limit, and still exits 0"
        )
        func checkSlackLimits() throws {
            let box = try Sandbox(
                channels: """
                      email: { kind: file, path: outbox }
                      sms: { kind: file, path: outbox }
                      chat: { kind: webhook, url: "http://127.0.0.1:1/hooks/slack", format: slack }
                    """,
                templates: [
                    "ping/chat.mustache":
                        "---\nbuttons:\n  - { label: Open, url: \"javascript:alert(1)\" }\n---\ntoken [{{event.properties.n}}]\n"
                ])
            defer { box.remove() }
            let check = try box.touchpoint(["check"])
            #expect(check.status == 0, "\(check.output)")
            #expect(
                check.output.contains(
                    "ping/chat.mustache:3:26: warning: slack button 1 URL must be http(s), not 'javascript': a script link is refused\n"
                ), "\(check.output)")
        }
    }
}
