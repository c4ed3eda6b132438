import Foundation
import Testing
import TouchpointCore

@testable import Engine

/// Issue 15: a send suppressed `missing-variable` on the chosen channel goes out on the next reachable
/// candidate whose template renders, and `why.render_fallback` says so.
@Suite("missing-variable falls back to the next channel")
struct ChannelFallbackTests {
    static let rules = """
        rules:
          - name: note
            when: { event: Signed Up }
            send: { template: note, channels: [sms, email, chat] }
            transactional: true
        """
    static let templates = [
        "note/sms.mustache": "Hi {{customer.first_name}}",
        "note/email.mustache": "---\nsubject: Hi\n---\n<p>Hi there</p>",
        "note/chat.mustache": "Hi there",
    ]

    static func fixture() -> Fixture {
        Fixture(
            rules: rules, config: "default-timezone: UTC\nquiet-hours: none\n", templates: templates)
    }

    @Test("no first_name: the SMS variant cannot render, so the email goes, with why.render_fallback")
    func fallsBack() throws {
        let f = Self.fixture()
        #expect(f.errors.isEmpty, "\(f.errors)")
        let records = try f.run([
            Line.identify(
                "u1", at: "2026-11-02T09:00:00Z", #"{"email":"a@example.com","phone":"+15550100"}"#),
            Line.track("u1", "Signed Up", at: "2026-11-02T10:00:00Z"),
        ])
        #expect(records.held.isEmpty, "\(records.map(\.jsonLine))")
        let sent = try #require(records.sent.first)
        #expect(sent.channel == .email)
        #expect(sent.content?.subject == "Hi")
        #expect(sent.why["render_fallback"]?["from"] == "sms")
        #expect(sent.why["render_fallback"]?["to"] == "email")
        #expect(sent.why["render_fallback"]?["reason"] == "missing-variable")
        #expect(sent.why["render_fallback"]?["detail"]?.stringValue?.contains("customer.first_name") == true)
    }

    @Test("an unreachable candidate is skipped: without an email address the chat message goes")
    func skipsUnreachable() throws {
        let f = Self.fixture()
        let records = try f.run([
            Line.identify("u1", at: "2026-11-02T09:00:00Z", #"{"phone":"+15550100","chat_id":"c-1"}"#),
            Line.track("u1", "Signed Up", at: "2026-11-02T10:00:00Z"),
        ])
        #expect(records.sent.first?.channel == .chat)
        #expect(records.sent.first?.why["render_fallback"]?["to"] == "chat")
    }

    @Test(
        "with no candidate that renders, the message is still suppressed missing-variable on the chosen channel"
    )
    func noCandidate() throws {
        let f = Self.fixture()
        let records = try f.run([
            Line.identify("u1", at: "2026-11-02T09:00:00Z", #"{"phone":"+15550100"}"#),
            Line.track("u1", "Signed Up", at: "2026-11-02T10:00:00Z"),
        ])
        #expect(records.sent.isEmpty)
        #expect(records.held.first?.reason == .missingVariable)
        #expect(records.held.first?.channel == .sms)
    }

    @Test("when the variable is there, the chosen channel is kept and why has no fallback")
    func noFallbackNeeded() throws {
        let f = Self.fixture()
        let records = try f.run([
            Line.identify(
                "u1", at: "2026-11-02T09:00:00Z",
                #"{"email":"a@example.com","phone":"+15550100","first_name":"Al"}"#),
            Line.track("u1", "Signed Up", at: "2026-11-02T10:00:00Z"),
        ])
        #expect(records.sent.first?.channel == .sms)
        #expect(records.sent.first?.why["render_fallback"] == nil)
    }

    @Test("the dry-run's deferred rendering and the daemon's rendering in place fall back alike")
    func deferredAgrees() throws {
        let f = Self.fixture()
        let lines = [
            Line.identify(
                "u1", at: "2026-11-02T09:00:00Z", #"{"email":"a@example.com","phone":"+15550100"}"#),
            Line.track("u1", "Signed Up", at: "2026-11-02T10:00:00Z"),
        ]
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("touchpoint-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        func replay(deferring: Bool) throws -> [String] {
            var engine = Engine(
                book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
            engine.defersRendering = deferring
            var replay = Replay(engine: engine, lateness: f.project.config.lateness)
            var out: [String] = []
            let emit: (MessageRecord) -> Void = { record in
                var record = record
                record.completeRendering(with: f.project.templates)
                out.append(record.jsonLine)
            }
            try replay.read(file: path, emit: emit, reject: { _ in })
            replay.finish(until: nil, emit: emit)
            return out
        }
        let inPlace = try replay(deferring: false)
        #expect(inPlace.count == 1)
        #expect(inPlace.first?.contains(#""render_fallback""#) == true)
        #expect(try replay(deferring: true) == inPlace)
    }
}
