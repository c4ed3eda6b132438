import Foundation
import Store
import Testing
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#endif

/// Every daemon test, one after another: each runs child processes, and the crash suite wants the
/// machine's cores to itself.
@Suite(.serialized) struct DaemonSuite {}

/// Paths around the package.
enum Paths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
    static let packageRoot = testsFolder.deletingLastPathComponent()
    static let peers = testsFolder.appendingPathComponent("Peers")
    /// The daemon binary `swift test` builds before running tests.
    static let binary = packageRoot.appendingPathComponent(".build/debug/touchpoint")

    static func requireBinary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestFailure("\(binary.path) is missing: run `swift build` (swift test builds it) first")
        }
        return binary.path
    }

    static func python() throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
            "\($0)/python3"
        }
        for p in ["/usr/bin/python3", "/usr/local/bin/python3"] + path
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        throw TestFailure("python3 not found (the test peers need it)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Milliseconds since the epoch, now.
func wallNow() -> Instant { Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)) }

/// Polls `condition` every 50 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try condition()
}

/// A test peer (a Python script from Tests/Peers) on an ephemeral port; it exits when its stdin closes.
final class Peer {
    let process = Process()
    let port: Int
    let record: URL
    private let lifeline = Pipe()

    init(_ script: String, record: URL, arguments: [String] = []) throws {
        self.record = record
        process.executableURL = URL(fileURLWithPath: try Paths.python())
        process.arguments = [Paths.peers.appendingPathComponent(script).path, record.path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard
            let port = Int(
                String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("\(script) did not print a port")
        }
        self.port = port
    }

    /// The recorded JSON lines.
    func lines() -> [[String: Any]] {
        guard let text = try? String(contentsOf: record, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// `touchpoint run` as a child process, its log in a file.
final class DaemonProcess {
    let process = Process()
    let log: URL

    init(config: URL, log: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
        process.arguments = ["run", "--config", config.path] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ sig: Int32) { if process.isRunning { kill(pid, sig) } }

    /// Waits for the process to end; its exit status, or `nil` if it is still running after `seconds`.
    func waitForExit(seconds: Double) async -> Int32? {
        _ = await eventually(within: seconds) { !process.isRunning }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    /// `kill -9` and reap.
    func kill9() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Waits for the "running" log line; throws with the log if the daemon exits or never gets there.
    @discardableResult
    func running(within seconds: Double = 30) async throws -> DaemonProcess {
        let up = await eventually(within: seconds) {
            !process.isRunning || logText().contains("touchpoint running")
        }
        guard up, process.isRunning else {
            throw TestFailure("the daemon did not start:\n\(logText())")
        }
        return self
    }

    func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit { kill9() }
}

/// A temporary project folder: config, rules, templates, events; removed by `remove()`.
struct Sandbox {
    let root: URL
    var config: URL { root.appendingPathComponent("touchpoint.yaml") }
    var events: URL { root.appendingPathComponent("events") }
    var rules: URL { root.appendingPathComponent("rules") }
    var store: URL { root.appendingPathComponent("state.sqlite") }
    var fileOutbox: URL { root.appendingPathComponent("outbox") }

    /// Ping rules: each trigger is one immediate, transactional message on one channel; `Later Ping`
    /// waits 2 s. Templates carry the trigger's `properties.n` as `token [n]`.
    static let pingRules = """
        rules:
          - name: ping-chat
            when: { event: Chat Ping }
            send: { template: ping, channels: [chat] }
            transactional: true
          - name: ping-sms
            when: { event: SMS Ping }
            send: { template: ping, channels: [sms] }
            transactional: true
          - name: ping-mail
            when: { event: Mail Ping }
            send: { template: ping, channels: [email] }
            transactional: true
          - name: ping-later
            when: { event: Later Ping }
            wait: 2s
            send: { template: ping, channels: [chat] }
            transactional: true

        """

    init(
        channels: String, rules: String = Sandbox.pingRules, extraConfig: String = "",
        lateness: String = "0s",
        templates extraTemplates: [String: String] = [:]
    ) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tp-daemon-\(UUID().uuidString)")
        let fm = FileManager.default
        let templates = root.appendingPathComponent("templates/ping")
        try fm.createDirectory(at: templates, withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("events"), withIntermediateDirectories: true)
        try "token [{{event.properties.n}}]\n".write(
            to: templates.appendingPathComponent("chat.mustache"), atomically: true, encoding: .utf8)
        try "token [{{event.properties.n}}]\n".write(
            to: templates.appendingPathComponent("sms.mustache"), atomically: true, encoding: .utf8)
        try "---\nsubject: \"ping\"\n---\n<p>token [{{event.properties.n}}]</p>\n".write(
            to: templates.appendingPathComponent("email.mustache"), atomically: true, encoding: .utf8)
        try rules.write(to: root.appendingPathComponent("rules/ping.yaml"), atomically: true, encoding: .utf8)
        for (path, text) in extraTemplates {
            let url = root.appendingPathComponent("templates/" + path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let config = """
            rules: rules
            templates: templates
            events: events
            store: state.sqlite
            lateness: \(lateness)
            quiet-hours: none
            frequency-cap: none
            \(extraConfig)
            channels:
            \(channels)

            """
        try config.write(
            to: root.appendingPathComponent("touchpoint.yaml"), atomically: true, encoding: .utf8)
    }

    /// Appends lines (each gets a newline) to `events/<name>`.
    func append(_ lines: [String], to name: String = "a.jsonl") throws {
        let url = events.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    func startDaemon(
        arguments: [String] = [], environment: [String: String] = [:], log: String = "daemon.log"
    ) throws -> DaemonProcess {
        try DaemonProcess(
            config: config, log: root.appendingPathComponent(log), arguments: arguments,
            environment: environment)
    }

    /// `touchpoint status` output.
    func status() throws -> String { try touchpoint(["status"]).output }

    /// Runs `touchpoint COMMAND --config <this config> ARGUMENTS…` to the end: its output and exit status.
    func touchpoint(_ command: [String], environment: [String: String] = [:]) throws -> (
        output: String, status: Int32
    ) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
        p.arguments = [command[0], "--config", config.path] + command.dropFirst()
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    /// The store, opened read-mostly alongside a running daemon (WAL allows it).
    func openStore() throws -> SQLiteStore { try SQLiteStore(path: store.path) }

    /// Names of the files the file adapter wrote.
    func fileOutboxNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fileOutbox.path)) ?? []).filter {
            !$0.hasPrefix(".")
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// Event lines.
enum Line {
    static func time(_ at: Instant) -> String { ISO8601.format(at, offsetSeconds: 0) }

    /// A customer reachable on every channel; `index` makes the phone number.
    static func identify(_ user: String, index: Int, at: Instant) -> String {
        let phone = "+1555" + String(1_000_000 + index % 9_000_000)
        return """
            {"type":"identify","userId":"\(user)","timestamp":"\(time(at))","traits":{"email":"\(user)@example.com","phone":"\(phone)","chat_id":"chat-\(user)"}}
            """
    }

    static func track(_ event: String, user: String, id: String, n: Int, at: Instant) -> String {
        """
        {"type":"track","event":"\(event)","userId":"\(user)","messageId":"\(id)","timestamp":"\(time(at))","properties":{"n":\(n)}}
        """
    }

    /// The message id the engine gives the message `rule` sends `user` for trigger event `id`.
    static func messageId(rule: String, user: String, trigger id: String) -> String {
        StableID.message(rule: rule, customer: user, trigger: id)
    }
}

extension Instant {
    /// `self` moved by `ms` milliseconds.
    func plus(ms: Int64) -> Instant { Instant(milliseconds: milliseconds + ms) }
}
