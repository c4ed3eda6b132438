import Channels
import Foundation
import Logging
import Rules
import ServiceLifecycle
import Store
import Synchronization
import Templates
import Testing
import TouchpointCore
import Tracking

#if canImport(Glibc)
    import Glibc
#endif

/// Every test here that starts servers or browsers runs one after another: they share two cores.
@Suite(.serialized) struct TrackingSuite {}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A clock the test sets.
final class TestClock: Sendable {
    private let now: Mutex<Instant>
    init(_ start: Instant) { now = Mutex(start) }
    func read() -> Instant { now.withLock { $0 } }
    func set(_ t: Instant) { now.withLock { $0 = t } }
    func advance(seconds: Int64) {
        now.withLock { $0 = Instant(milliseconds: $0.milliseconds + seconds * 1000) }
    }
    var closure: @Sendable () -> Instant { { [self] in self.read() } }
}

/// Paths around the package.
enum Paths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
    static let packageRoot = testsFolder.deletingLastPathComponent()
    static let peers = testsFolder.appendingPathComponent("Peers")
    static let binary = packageRoot.appendingPathComponent(".build/debug/touchpoint")

    static func requireBinary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestFailure("\(binary.path) is missing: run `swift build` (swift test builds it) first")
        }
        return binary.path
    }

    static func which(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in dirs + ["/usr/bin", "/usr/local/bin", "/bin"]
        where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        return nil
    }
}

/// A fresh temporary folder.
func temporaryFolder(_ tag: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tp-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func eventually(within seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return try await condition()
}

/// A real HTTP client: the project's libcurl transport (redirects are not followed).
enum HTTP {
    static let transport = CurlTransport(maxConnections: 8)

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    static func request(_ method: String, _ url: String, headers: [String] = [], body: [UInt8] = []) async
        -> Answer
    {
        let r = await transport.perform(
            TransferRequest(
                url: url, method: method, headers: headers, body: body, timeoutMilliseconds: 20_000))
        var out: [String: String] = [:]
        for line in r.headerLines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            out[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return Answer(status: r.status, headers: out, body: r.body)
    }

    static func get(_ url: String, headers: [String] = []) async -> Answer {
        await request("GET", url, headers: headers)
    }

    static func post(_ url: String, _ body: String, headers: [String] = []) async -> Answer {
        await request("POST", url, headers: headers, body: Array(body.utf8))
    }

    static func basic(_ user: String) -> String {
        "Authorization: Basic " + Data("\(user):".utf8).base64EncodedString()
    }
}

/// The HTTP side alone, in this process: recorder and server in a service group, on an ephemeral port,
/// with a clock the test sets.
final class Harness: Sendable {
    let folder: URL
    let clock: TestClock
    let port: Int
    let config: HTTPConfig
    let tracker: Templates.LinkTracker
    let store: SQLiteStore
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let secret = "test-secret-0123456789abcdef"
    static let writeKey = "wk_test_1"
    static let twilioToken = "twilio-auth-token-1"

    init(start: Instant = Instant(seconds: 1_795_000_000), customers: [String: String] = [:]) async throws {
        folder = try temporaryFolder("tracking")
        clock = TestClock(start)
        var logger = Logger(label: "tracking-test")
        logger.logLevel = .warning
        let portBox = Mutex<Int?>(nil)
        let publicURL = "http://127.0.0.1:0"
        config = HTTPConfig(
            host: "127.0.0.1", port: 0, publicURL: publicURL, secret: Harness.secret,
            writeKeys: [Harness.writeKey],
            twilioToken: Harness.twilioToken)
        tracker = LinkTracker(publicURL: publicURL, secret: Harness.secret)
        store = try SQLiteStore.inMemory()
        let recorder = EventRecorder(folder: folder.path, logger: logger)
        let phones = customers
        let server = TrackingServer(
            config: config, recorder: recorder, telemetry: Telemetry(), store: store,
            eventsFolder: folder.path,
            hooks: .init(
                customers: { channel, address in
                    channel == .sms ? phones.filter { $0.value == address }.map(\.key).sorted() : []
                },
                listening: { port in portBox.withLock { $0 = port } }),
            logger: logger, clock: clock.closure)
        let group = ServiceGroup(
            configuration: .init(services: [recorder, server], logger: logger))
        self.group = group
        task = Task { try await group.run() }
        guard await eventually(within: 20, { portBox.withLock { $0 } != nil }),
            let port = portBox.withLock({ $0 })
        else {
            task.cancel()
            throw TestFailure("the tracking server did not start")
        }
        self.port = port
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// `path` on the running server (a tracked URL's path and query, whatever host it was minted for).
    func url(_ tracked: String) -> String {
        guard let range = tracked.range(of: "://") else { return base + tracked }
        let rest = tracked[range.upperBound...]
        let path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        return base + path
    }

    func token(
        _ kind: TrackingToken.Kind, message: String = "0123456789abcdef0123456789abcdef",
        customer: String = "u1",
        channel: TouchpointCore.Channel = .email, index: Int = 0, url: String? = nil, locale: String? = nil,
        issuedAt: Instant? = nil
    ) -> String {
        let t = TrackingToken(
            kind: kind, channel: channel, messageId: message, customer: customer, linkIndex: index,
            issuedAt: issuedAt ?? Instant(milliseconds: clock.read().milliseconds - 3_600_000), url: url,
            locale: locale)
        return tracker.url(for: t)
    }

    /// Every line recorded so far, parsed, across the day files.
    func lines() -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasPrefix("http-") && $0.hasSuffix(".jsonl")
        }.sorted()
        return names.flatMap { name -> [[String: Any]] in
            let text = (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    func rawFiles() -> [String: String] {
        var out: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            out[name] = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        return out
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: folder)
    }
}

/// A Python one-liner's stdout (the test's independent implementations: HMAC for Twilio signatures).
func python(_ script: String, _ arguments: [String]) throws -> String {
    guard let python = Paths.which("python3") else { throw TestFailure("python3 not found") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", script] + arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Twilio's signature, computed by Python's hmac: base64(HMAC-SHA1(token, url + sorted name+value)).
func twilioSignature(url: String, params: [(String, String)], token: String = Harness.twilioToken) throws
    -> String
{
    let script = """
        import base64, hashlib, hmac, json, sys
        url, token, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        data = url + "".join(k + v for k, v in sorted(params))
        print(base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode())
        """
    let json = try JSONSerialization.data(withJSONObject: params.map { [$0.0, $0.1] })
    return try python(script, [url, token, String(decoding: json, as: UTF8.self)])
}

func form(_ params: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return params.map {
        ($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "="
            + ($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }.joined(separator: "&")
}

/// A Python peer from Tests/Peers on an ephemeral port (it prints the port); it exits when its stdin closes.
final class PythonPeer: @unchecked Sendable {
    // Only touched from the test that owns it; `@unchecked` because Process is not Sendable.
    let process = Process()
    let port: Int
    private let lifeline = Pipe()

    init(_ script: String, arguments: [String]) throws {
        guard
            let python = ["/usr/bin/python3"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            }) ?? Paths.which("python3")
        else { throw TestFailure("python3 not found") }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Paths.peers.appendingPathComponent(script).path] + arguments
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

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// Runs a program to completion; its exit status and stdout (stderr goes to `stderr` when given).
@discardableResult
func run(_ executable: String, _ arguments: [String], stderr: URL? = nil) throws -> (
    status: Int32, output: String
) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    if let stderr {
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: stderr)
    } else {
        p.standardError = FileHandle.nullDevice
    }
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
