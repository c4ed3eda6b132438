import Foundation
import Testing

/// A test peer: a Python script from Tests/Peers started on an ephemeral port, killed by `stop()`.
final class PeerProcess {
    let process: Process
    let port: Int
    private let lifeline: Pipe

    static let peersFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Peers")

    /// Starts `script` with `arguments` under `python` and reads the port it prints.
    init(python: String, script: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PeerProcess.peersFolder.appendingPathComponent(script).path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        // The peer exits when this pipe closes, so a crashed test run leaves no peer behind.
        lifeline = Pipe()
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        let reader = out.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard
            let port = Int(
                String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)
            throw PeerError("\(script) did not print a port")
        }
        self.port = port
    }

    func stop() {
        if process.isRunning {
            // SIGKILL: the test runner's threads block SIGTERM, and children inherit that mask.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Finding a Python interpreter with the modules a test needs.
enum Python {
    static let candidates = ["/usr/bin/python3", "/usr/local/bin/python3"] + pathCandidates

    static var pathCandidates: [String] {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
    }

    /// Any python3; looked up once.
    static let plain = find()
    /// A python3 with aiosmtpd; looked up once.
    static let withSMTP = find(importing: ["aiosmtpd"])

    /// The first interpreter that can import every module in `modules`, or `nil`.
    static func find(importing modules: [String] = []) -> String? {
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            let check = modules.isEmpty ? "pass" : "import " + modules.joined(separator: ", ")
            if let r = try? run(path, ["-c", check]), r.status == 0 { return path }
        }
        return nil
    }

    /// Runs a program to completion; its stdout and exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a script from Tests/Peers and decodes its JSON output.
    static func json(_ python: String, _ script: String, _ arguments: [String]) throws -> [String: Any] {
        let r = try run(python, [PeerProcess.peersFolder.appendingPathComponent(script).path] + arguments)
        guard r.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any]
        else { throw PeerError("\(script) failed: \(r.output)") }
        return object
    }
}

/// A fresh temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tp-channels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Reads the HTTP peer's JSON-lines record.
func recordedRequests(_ file: URL) -> [[String: Any]] {
    guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// A header from a recorded request, case-insensitively.
func recordedHeader(_ request: [String: Any], _ name: String) -> String? {
    let pairs = request["headers"] as? [[String]] ?? []
    return pairs.first { $0.first?.lowercased() == name.lowercased() }?.last
}
