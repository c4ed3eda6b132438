import Channels
import Daemon
import Foundation
import Logging
import Store
import Synchronization
import TouchpointCore

/// `touchpoint run` in this process (the daemon's own `Daemon.run`), with the HTTP side on an ephemeral
/// port and, when given, a clock the test controls.
final class DaemonHarness: Sendable {
    let root: URL
    let port: Int
    private let task: Task<Void, any Error>

    static let secret = "daemon-test-secret-0123456789"

    var config: URL { root.appendingPathComponent("touchpoint.yaml") }
    var events: URL { root.appendingPathComponent("events") }
    var outbox: URL { root.appendingPathComponent("outbox") }
    var base: String { "http://127.0.0.1:\(port)" }

    /// A project folder with `rules` and `templates` (relative path → text) and a config of `settings`
    /// plus `channels` and the `http` block; the daemon is started on it.
    init(
        rules: String, templates: [String: String], settings: String, channels: String, clock: TestClock?,
        publicURL: String = "http://127.0.0.1:1", reloadCheckMilliseconds: Int64 = 60_000
    ) async throws {
        root = try temporaryFolder("daemon")
        let fm = FileManager.default
        for (path, text) in templates {
            let url = root.appendingPathComponent("templates").appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try fm.createDirectory(at: root.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("events"), withIntermediateDirectories: true)
        try rules.write(
            to: root.appendingPathComponent("rules/rules.yaml"), atomically: true, encoding: .utf8)
        try DaemonHarness.configText(settings: settings, channels: channels, publicURL: publicURL)
            .write(to: root.appendingPathComponent("touchpoint.yaml"), atomically: true, encoding: .utf8)

        var options = DaemonOptions(
            configPath: root.appendingPathComponent("touchpoint.yaml").path, environment: [:])
        options.pollMilliseconds = 20
        options.reloadCheckMilliseconds = reloadCheckMilliseconds
        let portBox = Mutex<Int?>(nil)
        options.httpListening = { port in portBox.withLock { $0 = port } }
        var logger = Logger(label: "daemon-test")
        logger.logLevel = .warning
        let clockClosure: @Sendable () -> Instant
        if let clock {
            clockClosure = clock.closure
        } else {
            clockClosure = { Delivery.wallClock() }
        }
        task = Task { try await Daemon.run(options: options, logger: logger, clock: clockClosure) }
        let up = await eventually(within: 60) { portBox.withLock { $0 } != nil }
        guard up, let port = portBox.withLock({ $0 }) else {
            task.cancel()
            throw TestFailure("the daemon's HTTP side did not start")
        }
        self.port = port
    }

    static func configText(settings: String, channels: String, publicURL: String, secret: String = secret)
        -> String
    {
        """
        rules: rules
        templates: templates
        events: events
        store: state.sqlite
        lateness: 0s
        \(settings)
        channels:
        \(channels)
        http:
          listen: 127.0.0.1:0
          public-url: \(publicURL)
          secret: \(secret)
          write-keys: [wk_daemon]

        """
    }

    /// Appends lines to `events/<name>`.
    func append(_ lines: [String], to name: String = "shop.jsonl") throws {
        let url = events.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// The recorded HTTP events, parsed.
    func recorded() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: events.path)) ?? []).filter {
            $0.hasPrefix("http-")
        }
        return names.sorted().flatMap { name -> [[String: Any]] in
            let text = (try? String(contentsOf: events.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    /// Paths of the recorded-event files.
    func recordedFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: events.path)) ?? []).filter {
            $0.hasPrefix("http-")
        }.sorted()
            .map { events.appendingPathComponent($0).path }
    }

    /// Waits until the daemon has read every events file to its end (`/readyz`).
    func caughtUp(within seconds: Double = 30) async -> Bool {
        await eventually(within: seconds) { await HTTP.get(base + "/readyz").status == 200 }
    }

    func openStore() throws -> SQLiteStore {
        try SQLiteStore(path: root.appendingPathComponent("state.sqlite").path)
    }

    /// `url` (minted for any host) on this daemon's port.
    func local(_ url: String) -> String {
        guard let r = url.range(of: "://") else { return url }
        let rest = url[r.upperBound...]
        return base + (rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/")
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// The HTML part of an `.eml` the file or SMTP adapter wrote (multipart/alternative, base64 parts).
func htmlPart(ofEML text: String) -> String? {
    let lines = text.components(separatedBy: "\r\n")
    guard let start = lines.firstIndex(where: { $0.hasPrefix("Content-Type: text/html") }),
        let blank = lines[start...].firstIndex(of: "")
    else { return nil }
    let body = lines[(blank + 1)...].prefix { !$0.hasPrefix("--") }.joined()
    return Data(base64Encoded: body).map { String(decoding: $0, as: UTF8.self) }
}

/// The value of header `name` in an `.eml`, unfolded.
func header(_ name: String, ofEML text: String) -> String? {
    let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
    var value: String?
    for line in head.components(separatedBy: "\r\n") {
        if line.lowercased().hasPrefix(name.lowercased() + ":") {
            value = String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
        } else if value != nil, line.hasPrefix(" ") || line.hasPrefix("\t") {
            value! += line.trimmingCharacters(in: .whitespaces)
        } else if value != nil {
            break
        }
    }
    return value
}

/// The first `src`/`href` URL in `html` starting with `prefix`.
func firstURL(in html: String, containing part: String) -> String? {
    var rest = Substring(html)
    while let q = rest.range(of: "=\"") {
        let tail = rest[q.upperBound...]
        guard let end = tail.firstIndex(of: "\"") else { return nil }
        let value = String(tail[..<end])
        if value.contains(part) { return value }
        rest = tail[end...]
    }
    return nil
}
