import Foundation
import Testing

@testable import Channels

@Suite("curl transport")
struct TransportTests {
    @Test("sequential transfers to one peer reuse one connection")
    func connectionReuse() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        for i in 0..<5 {
            let r = await transport.perform(
                TransferRequest(url: peer.base + "/ok", body: Array("n=\(i)".utf8)))
            #expect(r.curlCode == 0 && r.status == 200)
        }
        let ports = Set(peer.requests.compactMap { $0["client_port"] as? Int })
        #expect(peer.requests.count == 5)
        #expect(ports.count == 1, "client ports \(ports)")
    }

    @Test("many concurrent transfers all complete with their own answers")
    func concurrent() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let base = peer.base
        let results = await withTaskGroup(of: TransferResult.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let path = i % 4 == 0 ? "/status/503" : "/ok"
                    return await transport.perform(TransferRequest(url: base + path, body: [1, 2, 3]))
                }
            }
            var all: [TransferResult] = []
            for await s in group { all.append(s) }
            return all
        }
        let statuses = results.map(\.status)
        #expect(results.allSatisfy { $0.curlCode == 0 }, "\(Set(results.map(\.errorText)))")
        #expect(statuses.filter { $0 == 200 }.count == 30)
        #expect(statuses.filter { $0 == 503 }.count == 10)
        #expect(peer.requests.count == 40)
    }

    @Test("response headers of the final response are kept")
    func responseHeaders() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let r = await CurlTransport.shared.perform(
            TransferRequest(url: peer.base + "/status/429?retry_after=7", body: [1]))
        #expect(r.status == 429)
        #expect(r.header("retry-after") == "7", "\(r.headerLines)")
        #expect(r.bodyText == #"{"status": 429}"#)
    }

    @Test("after shutdown a transfer ends at once as aborted")
    func shutdown() async {
        let transport = CurlTransport()
        transport.shutdown()
        let r = await transport.perform(TransferRequest(url: "http://127.0.0.1:1/"))
        #expect(r.curlCode == TransferResult.abortedCode)
    }

    @Test("a stalled transfer is cut by its timeout")
    func timeout() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let r = await CurlTransport.shared.perform(
            TransferRequest(url: peer.base + "/hang", body: [1], timeoutMilliseconds: 500, lowSpeedSeconds: 1)
        )
        // The peer never answers, so only a timeout ends the transfer: CURLE_OPERATION_TIMEDOUT, in the
        // result and in the recorded answer (no wall-clock bound: a loaded machine may take any time).
        #expect(r.curlCode == 28, "\(r.curlCode): \(r.errorText)")
        #expect(r.bodyStarted)
        let outcome = Classification.outcome(
            r, peer: .http(deduplicates: true), now: Samples.now, retryAfterLimit: .zero)
        #expect(outcome.answer.hasPrefix("curl 28: "), "\(outcome.answer)")
        #expect(outcome.isRetryable)
    }
}
