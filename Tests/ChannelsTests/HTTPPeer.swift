import Foundation
import Testing

@testable import Channels

/// A recording HTTP peer on an ephemeral port: Tests/Peers/http_peer.py, or another script that takes
/// the record file (raw_http_peer.py answers as broken servers do).
struct HTTPPeer {
    let process: PeerProcess
    let folder: TemporaryFolder
    let record: URL

    init(script: String = "http_peer.py") throws {
        guard let python = Python.plain else { throw PeerError("no python3") }
        folder = try TemporaryFolder()
        record = folder.url.appendingPathComponent("requests.jsonl")
        process = try PeerProcess(python: python, script: script, arguments: [record.path])
    }

    var base: String { "http://127.0.0.1:\(process.port)" }

    var requests: [[String: Any]] { recordedRequests(record) }

    func stop() {
        process.stop()
        folder.remove()
    }
}

/// Records the waits `Delivery` asks for instead of sleeping.
final class SleepRecorder: Sendable {
    let waits = Locked<[Int64]>([])

    var sleep: @Sendable (Int64) async -> Void {
        { [waits] ms in waits.withLock { $0.append(ms) } }
    }

    var recorded: [Int64] { waits.withLock { $0 } }
}

/// A loopback port with nothing listening on it.
func closedPort() throws -> Int {
    let peer = try HTTPPeer()
    let port = peer.process.port
    peer.stop()
    return port
}
