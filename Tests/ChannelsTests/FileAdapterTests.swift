import Foundation
import Testing
import TouchpointCore

@testable import Channels

@Suite("file adapter")
struct FileAdapterTests {
    @Test("email lands as <id>.eml holding the full RFC 5322 message; other channels as <id>.json")
    func writesFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("outbox")
        let adapter = try AdapterRegistry.make(
            kind: "file", options: ["path": out.path, "from": "shop@example.com"])
        let email = Samples.email()
        let report = await Delivery.deliver(email, via: adapter, now: Samples.now)
        guard case .delivered = report.outcome else {
            Issue.record("not delivered: \(report.outcome)")
            return
        }
        let eml = try Data(contentsOf: out.appendingPathComponent("\(email.messageId).eml"))
        let expected = try MIMEMessage(from: "shop@example.com").render(email, now: Samples.now)
        #expect(Array(eml) == expected)

        let chat = Samples.chat()
        _ = await Delivery.deliver(chat, via: adapter, now: Samples.now)
        let json = try Data(contentsOf: out.appendingPathComponent("\(chat.messageId).json"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["id"] as? String == chat.messageId)
        #expect(object["text"] as? String == chat.text)
        // Only the two messages: temporary files were renamed away.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
                == ["\(email.messageId).eml", "\(chat.messageId).json"].sorted())
    }

    @Test("a retry rewrites the same file with the same bytes")
    func idempotent() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let adapter = FileAdapter(folder: folder.url)
        let request = try adapter.prepare(Samples.sms(), now: Samples.now)
        #expect(await adapter.send(request).name == "delivered")
        #expect(await adapter.send(request).name == "delivered")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
        #expect(files == ["\(Samples.sms().messageId).json"])
    }

    @Test("a message id that is not a safe file name is refused")
    func unsafeNames() {
        let adapter = FileAdapter(folder: URL(fileURLWithPath: "/tmp"))
        for id in ["../etc/passwd", ".hidden", "a/b", "", "é1", "a b", "a@b", "a[b", "a`b", "a{b", "a\u{0}b"]
        {
            #expect(throws: AdapterConfigError.self) {
                try adapter.prepare(Samples.sms(id: id), now: Samples.now)
            }
        }
        for id in ["0123456789abcdef", "AZaz09-_.x", "z"] {
            #expect(throws: Never.self) { try adapter.prepare(Samples.sms(id: id), now: Samples.now) }
        }
    }

    @Test("a folder that cannot be created is a recorded failure, not a crash")
    func unwritable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let blocker = folder.url.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let adapter = FileAdapter(folder: blocker.appendingPathComponent("sub"))
        let outcome = await adapter.send(try adapter.prepare(Samples.sms(), now: Samples.now))
        #expect(outcome.isRetryable)
    }

    @Test("the blocking write runs on a writer thread, not the cooperative pool")
    func offThePool() async {
        let name = await FileWriter.shared.run {
            (Thread.current.threadDictionary[FileWriter.marker] as? String) ?? "not a writer thread"
        }
        #expect(name.hasPrefix("touchpoint.fw."))
        // And a task on the cooperative pool is not on one.
        let pool = await Task.detached { FileWriter.onWriterThread }.value
        #expect(!pool)
    }

    @Test("many sends at once all land, each file whole, the folder made on first need")
    func concurrentSends() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let adapter = FileAdapter(folder: folder.url.appendingPathComponent("a/b"))
        let requests = try (0..<200).map { try adapter.prepare(Samples.sms(id: "m\($0)"), now: Samples.now) }
        let delivered = await withTaskGroup(of: Bool.self) { group in
            for request in requests { group.addTask { await adapter.send(request).name == "delivered" } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(delivered == 200)
        for request in requests {
            let bytes = try Data(contentsOf: adapter.target(for: request))
            #expect(bytes == request.body)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: adapter.folder.path)
        #expect(files.count == 200 && !files.contains { $0.hasSuffix(".tmp") })
        let mode = try FileManager.default.attributesOfItem(atPath: adapter.folder.path)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o700)
    }
}
