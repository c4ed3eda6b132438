import Foundation
import Testing
import TouchpointCore

@testable import Channels

/// An aiosmtpd peer that can be stopped and started again on its port, keeping what it received.
final class RestartableSMTPPeer {
    let python: String
    let folder: TemporaryFolder
    private(set) var process: PeerProcess?
    let port: Int

    init() throws {
        guard let python = Python.withSMTP else { throw PeerError("no python3 with aiosmtpd") }
        self.python = python
        folder = try TemporaryFolder()
        let p = try PeerProcess(python: python, script: "smtp_peer.py", arguments: [folder.url.path])
        process = p
        port = p.port
    }

    var url: String { "smtp://127.0.0.1:\(port)" }

    func stop() {
        process?.stop()
        process = nil
    }

    func start() throws {
        process = try PeerProcess(
            python: python, script: "smtp_peer.py", arguments: [folder.url.path, "--port", "\(port)"])
    }

    /// The envelope recipients of every message received, in order.
    func recipients() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
            .filter { $0.hasSuffix(".json") }.sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }
        return try names.flatMap { name -> [String] in
            let data = try Data(contentsOf: folder.url.appendingPathComponent(name))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return object?["rcpt_tos"] as? [String] ?? []
        }
    }

    func remove() {
        stop()
        folder.remove()
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let now = Locked(Instant(seconds: 1_795_435_200))
    var read: @Sendable () -> Instant { { [now] in now.withLock { $0 } } }
    func advance(seconds: Int64) {
        now.withLock { $0 = Instant(milliseconds: $0.milliseconds + seconds * 1000) }
    }
}

@Suite("failover between two real SMTP peers", .serialized)
struct FailoverPeerTests {
    static var available: Bool {
        if Python.withSMTP != nil { return true }
        print("skipped: no python3 with aiosmtpd (apt-get install python3-aiosmtpd)")
        return false
    }

    func failover(_ urls: [String], clock: TestClock, threshold: Int = 3) throws -> FailoverAdapter {
        let providers = try urls.map { url in
            FailoverAdapter.Provider(
                adapter: try AdapterRegistry.make(
                    kind: "smtp", options: ["url": url, "from": "shop@mail.example.com", "timeout": "2s"]),
                label: FailoverAdapter.label(kind: "smtp", url: url))
        }
        return try FailoverAdapter(
            providers: providers,
            health: FailoverHealth(
                count: providers.count, threshold: threshold, backoff: TimeSpan(seconds: 10)),
            clock: clock.read)
    }

    /// Sends like the dispatcher: again after each transient failure, until it ends otherwise.
    func deliver(_ message: OutboundMessage, via adapter: FailoverAdapter) async throws -> DeliveryOutcome {
        let request = try adapter.prepare(message, now: Samples.now)
        for _ in 0..<10 {
            let outcome = await adapter.send(request)
            if !outcome.isRetryable { return outcome }
        }
        return .retry(after: nil, answer: "still failing")
    }

    @Test(
        "the first peer stops mid-run: the second takes over, every message arrives exactly once, none at both; the first comes back and is used again"
    )
    func stopAndReturn() async throws {
        guard Self.available else { return }
        let a = try RestartableSMTPPeer()
        defer { a.remove() }
        let b = try RestartableSMTPPeer()
        defer { b.remove() }
        let clock = TestClock()
        let adapter = try failover([a.url, b.url], clock: clock)
        var answers: [String] = []
        for i in 0..<30 {
            if i == 10 { a.stop() }
            if i == 20 {
                try a.start()
                // Past the first peer's rest: the next send tries it again.
                clock.advance(seconds: 11)
            }
            let outcome = try await deliver(Samples.email(id: "m\(i)", to: "m\(i)@example.com"), via: adapter)
            #expect(outcome.name == "delivered", "message \(i): \(outcome)")
            answers.append(outcome.answer)
        }
        let atA = try a.recipients()
        let atB = try b.recipients()
        let expected = (0..<30).map { "m\($0)@example.com" }
        #expect(Set(atA).isDisjoint(with: atB), "a message reached both peers")
        #expect((atA + atB).sorted() == expected.sorted(), "each message exactly once across the two")
        #expect(atA == (Array(0..<10) + Array(20..<30)).map { "m\($0)@example.com" })
        #expect(atB == (10..<20).map { "m\($0)@example.com" })
        // Each answer names the provider that gave it.
        #expect(answers[0].hasPrefix("provider 1 smtp 127.0.0.1:\(a.port): "), "\(answers[0])")
        #expect(answers[15].hasPrefix("provider 2 smtp 127.0.0.1:\(b.port): "), "\(answers[15])")
        #expect(answers[25].hasPrefix("provider 1 "), "\(answers[25])")
    }

    @Test(
        "a refusal at RCPT goes on to the next peer; one after DATA does not; a timeout after DATA stays unknown"
    )
    func refusalsAndAmbiguity() async throws {
        guard Self.available else { return }
        let a = try RestartableSMTPPeer()
        defer { a.remove() }
        let b = try RestartableSMTPPeer()
        defer { b.remove() }
        let clock = TestClock()
        let adapter = try failover([a.url, b.url], clock: clock)
        // 550 at RCPT on both: nobody has it, so the second was asked too.
        let rejected = try await deliver(Samples.email(id: "r", to: "reject@example.com"), via: adapter)
        #expect(rejected.name == "failed")
        #expect(rejected.answer.hasPrefix("provider 2 "), "\(rejected.answer)")
        // 554 after DATA: refused with the content sent, not offered to the second.
        let refused = try await deliver(Samples.email(id: "d", to: "datafail@example.com"), via: adapter)
        #expect(refused.name == "failed")
        #expect(refused.answer.hasPrefix("provider 1 "), "\(refused.answer)")
        // No answer after DATA: the first may have it, so it is never sent through the second.
        let hung = try await deliver(Samples.email(id: "h", to: "hang@example.com"), via: adapter)
        #expect(hung.name == "unknown", "\(hung)")
        #expect(hung.answer.hasPrefix("provider 1 "), "\(hung.answer)")
        #expect(try b.recipients().isEmpty)
        #expect(try a.recipients().isEmpty)
    }
}

@Suite("failover health: which provider a send uses")
struct FailoverHealthTests {
    let t0 = Instant(seconds: 1_000)

    @Test(
        "the first provider while healthy; the next after N transient failures in a row; back after the rest")
    func circuit() {
        var h = FailoverHealth(count: 2, threshold: 3, backoff: TimeSpan(seconds: 10))
        #expect(h.choose(now: t0) == 0)
        h.record(0, .retry(after: nil, answer: ""), now: t0)
        h.record(0, .retry(after: nil, answer: ""), now: t0)
        #expect(h.choose(now: t0) == 0)
        // A success resets the count.
        h.record(0, .delivered(providerId: nil, answer: ""), now: t0)
        for _ in 0..<2 { h.record(0, .retry(after: nil, answer: ""), now: t0) }
        #expect(h.choose(now: t0) == 0)
        h.record(0, .retry(after: nil, answer: ""), now: t0)
        #expect(h.choose(now: t0) == 1)
        #expect(h.choose(now: t0 + TimeSpan(seconds: 9)) == 1)
        // Sends that were already under way when it opened fail too: they do not lengthen the rest.
        h.record(0, .retry(after: nil, answer: ""), now: t0 + TimeSpan(seconds: 1))
        #expect(h.providers[0].openUntil == t0 + TimeSpan(seconds: 10))
        // The rest is over: one probe; a failure rests it twice as long.
        #expect(h.choose(now: t0 + TimeSpan(seconds: 10)) == 0)
        h.record(0, .retry(after: nil, answer: ""), now: t0 + TimeSpan(seconds: 10))
        #expect(h.choose(now: t0 + TimeSpan(seconds: 29)) == 1)
        #expect(h.choose(now: t0 + TimeSpan(seconds: 30)) == 0)
        h.record(0, .delivered(providerId: nil, answer: ""), now: t0 + TimeSpan(seconds: 30))
        #expect(h.providers[0] == FailoverHealth.Provider())
    }

    @Test("with every provider resting, the one that wakes first")
    func allOpen() {
        var h = FailoverHealth(count: 2, threshold: 1, backoff: TimeSpan(seconds: 10))
        h.record(1, .retry(after: nil, answer: ""), now: t0)
        h.record(0, .retry(after: nil, answer: ""), now: t0 + TimeSpan(seconds: 5))
        #expect(h.choose(now: t0 + TimeSpan(seconds: 6)) == 1)
        #expect(h.choose(now: t0 + TimeSpan(seconds: 6), excluding: [1]) == 0)
        #expect(h.choose(now: t0, excluding: [0, 1]) == nil)
    }

    @Test("labels name kind and host, never credentials or paths")
    func labels() {
        #expect(
            FailoverAdapter.label(kind: "smtp", url: "smtp://user:pw@mail.example:587")
                == "smtp mail.example:587")
        #expect(
            FailoverAdapter.label(kind: "webhook", url: "https://hooks.slack.com/services/T/B/X")
                == "webhook hooks.slack.com")
        #expect(FailoverAdapter.label(kind: "file", url: nil) == "file")
    }
}
