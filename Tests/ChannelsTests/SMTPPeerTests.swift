import Foundation
import Testing
import TouchpointCore

@testable import Channels

/// The aiosmtpd peer (Tests/Peers/smtp_peer.py) on an ephemeral port.
struct SMTPPeer {
    let process: PeerProcess
    let folder: TemporaryFolder
    let python: String

    init(_ extra: [String] = []) throws {
        guard let python = Python.withSMTP else { throw PeerError("no python3 with aiosmtpd") }
        self.python = python
        folder = try TemporaryFolder()
        process = try PeerProcess(
            python: python, script: "smtp_peer.py", arguments: [folder.url.path] + extra)
    }

    var url: String { "smtp://127.0.0.1:\(process.port)" }

    func envelope(_ n: Int) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.url.appendingPathComponent("\(n).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func parsed(_ n: Int) throws -> [String: Any] {
        try Python.json(python, "parse_eml.py", [folder.url.appendingPathComponent("\(n).eml").path])
    }

    func stop() {
        process.stop()
        folder.remove()
    }
}

@Suite("smtp adapter against aiosmtpd")
struct SMTPPeerTests {
    static var available: Bool {
        if Python.withSMTP != nil { return true }
        print("skipped: no python3 with aiosmtpd (apt-get install python3-aiosmtpd)")
        return false
    }

    func adapter(_ url: String, _ extra: [String: String] = [:]) throws -> any ChannelAdapter {
        try AdapterRegistry.make(
            kind: "smtp",
            options: ["url": url, "from": "shop@mail.example.com", "from_name": "小店", "timeout": "3s"]
                .merging(extra) { $1 })
    }

    @Test("a message with AUTH arrives whole: envelope, login, Chinese subject and names, text then HTML")
    func deliveredWithAuth() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer(["--auth", "mailer:pa55"])
        defer { peer.stop() }
        let message = Samples.email()
        let report = await Delivery.deliver(
            message,
            via: try adapter(peer.url, ["username": "mailer", "password": "pa55", "insecure_auth": "true"]))
        guard case .delivered(let id, let answer) = report.outcome else {
            Issue.record("not delivered: \(report.outcome)")
            return
        }
        #expect(id == "<\(message.messageId)@mail.example.com>")
        #expect(answer.contains("250"))
        let envelope = try peer.envelope(1)
        #expect(envelope["mail_from"] as? String == "shop@mail.example.com")
        #expect(envelope["rcpt_tos"] as? [String] == ["li.wei@example.com"])
        #expect(envelope["login"] as? String == "mailer")
        let parsed = try peer.parsed(1)
        #expect(parsed["subject"] as? String == message.subject)
        #expect(parsed["from_name"] as? String == "小店")
        #expect(parsed["to_name"] as? String == "李伟")
        #expect(parsed["message_id"] as? String == "<\(message.messageId)@mail.example.com>")
        #expect(parsed["list_unsubscribe"] as? String == "<https://example.com/u/abc?x=1>")
        #expect(parsed["list_unsubscribe_post"] as? String == "List-Unsubscribe=One-Click")
        let parts = try #require(parsed["parts"] as? [[String: Any]])
        #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
        #expect(
            (parts.first?["content"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == message.text
        )
    }

    @Test(
        "long headers are folded or encoded (no line over 998 octets, headers within 78), text parts use CRLF inside base64"
    )
    func longHeadersAndCanonicalText() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let longName = String(repeating: "Alexandra ", count: 120).trimmingCharacters(in: .whitespaces)
        let unbroken = String(repeating: "x", count: 1200)
        let longSubject = String(repeating: "Your cart is waiting ", count: 60) + "🛒"
        var message = Samples.email(to: "long@example.com", toName: longName, subject: longSubject)
        message.text = "line one\nline two\n\nline four\n"
        message.html = "<html>\n<body>\n<p>hi</p>\n</body>\n</html>\n"
        let report = await Delivery.deliver(message, via: try adapter(peer.url))
        #expect(report.outcome.name == "delivered", "\(report.outcome)")
        let parsed = try peer.parsed(1)
        #expect(parsed["to_name"] as? String == longName)
        #expect(parsed["subject"] as? String == longSubject)
        #expect((parsed["longest_line"] as? Int ?? 9999) <= 998)
        #expect(parsed["header_lines_over_78"] as? Int == 0)
        #expect((parsed["defects"] as? [String])?.isEmpty == true, "\(parsed["defects"] ?? "")")
        let parts = try #require(parsed["parts"] as? [[String: Any]])
        #expect(parts.count == 2)
        for part in parts {
            #expect(part["bare_lf"] as? Bool == false, "\(part)")
            #expect((part["content"] as? String)?.contains("\r\n") == true)
        }
        #expect((parts.first?["content"] as? String) == "line one\r\nline two\r\n\r\nline four\r\n")

        // A name that is one unbroken word is encoded, and folds anyway.
        let second = Samples.email(to: "long@example.com", toName: unbroken, subject: unbroken)
        #expect(await Delivery.deliver(second, via: try adapter(peer.url)).outcome.name == "delivered")
        let parsed2 = try peer.parsed(2)
        #expect(parsed2["to_decoded"] as? String == "\(unbroken) <long@example.com>")
        #expect(parsed2["subject"] as? String == unbroken)
        #expect((parsed2["longest_line"] as? Int ?? 9999) <= 998)
        #expect(parsed2["header_lines_over_78"] as? Int == 0)
    }

    @Test("a 5xx to RCPT keeps the server's own reply text (5.1.1 no such user) in the outcome")
    func rcptReplyText() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.url)
        let rejected = await a.send(try a.prepare(Samples.email(to: "reject@example.com"), now: Samples.now))
        #expect(rejected.name == "failed")
        #expect(rejected.answer.contains("550 5.1.1 no such user"), "\(rejected.answer)")
        let temp = await a.send(try a.prepare(Samples.email(to: "tempfail@example.com"), now: Samples.now))
        #expect(temp.answer.contains("451 4.3.0 try again later"), "\(temp.answer)")
        let refused = await a.send(try a.prepare(Samples.email(to: "datafail@example.com"), now: Samples.now))
        #expect(refused.answer.contains("554 5.6.0 message refused"), "\(refused.answer)")
    }

    @Test("a wrong password is permanent")
    func wrongPassword() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer(["--auth", "mailer:pa55"])
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.email(),
            via: try adapter(peer.url, ["username": "mailer", "password": "nope", "insecure_auth": "true"]))
        #expect(report.outcome.name == "failed", "\(report.outcome)")
        #expect(report.attempts == 1)
    }

    /// A throwaway certificate for 127.0.0.1 (cert, key), or `nil` without openssl.
    static func certificate(in certs: TemporaryFolder) throws -> (cert: String, key: String)? {
        guard
            let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            print("skipped: no openssl to make a throwaway certificate")
            return nil
        }
        let cert = certs.url.appendingPathComponent("cert.pem").path
        let key = certs.url.appendingPathComponent("key.pem").path
        let made = try Python.run(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
            ])
        try #require(made.status == 0)
        return (cert, key)
    }

    @Test("AUTH over smtp:// without TLS is a configuration error unless insecure-auth says so (issue 12 #5)")
    func cleartextAuthRefused() throws {
        for extra in [["username": "mailer", "password": "pa55"], ["password": "pa55"]] {
            let refusal = #expect(throws: AdapterConfigError.self) {
                _ = try adapter("smtp://127.0.0.1:25", extra)
            }
            #expect(refusal?.message.contains("in the clear") == true)
            #expect(refusal?.message.contains("pa55") == false)
        }
        #expect(throws: AdapterConfigError.self) { _ = try adapter("smtp://mailer:pa55@127.0.0.1:25") }
        _ = try adapter(
            "smtp://127.0.0.1:587", ["username": "mailer", "password": "pa55", "starttls": "true"])
        _ = try adapter("smtps://127.0.0.1:465", ["username": "mailer", "password": "pa55"])
        _ = try adapter(
            "smtp://127.0.0.1:25", ["username": "mailer", "password": "pa55", "insecure_auth": "true"])
        _ = try adapter("smtp://127.0.0.1:25")
    }

    @Test("without starttls: true, STARTTLS is used when the server offers it, AUTH included")
    func opportunisticSTARTTLS() async throws {
        guard Self.available else { return }
        let certs = try TemporaryFolder()
        defer { certs.remove() }
        guard let (cert, key) = try Self.certificate(in: certs) else { return }
        // This peer requires STARTTLS before anything, and AUTH only over TLS.
        let peer = try SMTPPeer(["--tls", cert, key, "--auth", "mailer:pa55"])
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.email(),
            via: try adapter(
                peer.url,
                ["username": "mailer", "password": "pa55", "insecure_auth": "true", "ca_file": cert]))
        #expect(report.outcome.name == "delivered", "\(report.outcome)")
        #expect(try peer.envelope(1)["tls"] as? Bool == true)
        #expect(try peer.envelope(1)["login"] as? String == "mailer")
    }

    @Test("STARTTLS with a throwaway certificate: the message goes over TLS")
    func startTLS() async throws {
        guard Self.available else { return }
        let certs = try TemporaryFolder()
        defer { certs.remove() }
        guard let (cert, key) = try Self.certificate(in: certs) else { return }
        let peer = try SMTPPeer(["--tls", cert, key])
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.email(), via: try adapter(peer.url, ["starttls": "true", "ca_file": cert]))
        #expect(report.outcome.name == "delivered", "\(report.outcome)")
        #expect(try peer.envelope(1)["tls"] as? Bool == true)
        #expect(try peer.parsed(1)["subject"] as? String == Samples.email().subject)

        // Without our CA the server is not trusted: a configuration error, not retried.
        // Its own transport (the registry's default), so the trusted connection above is not reused.
        let untrusted = await Delivery.deliver(
            Samples.email(), via: try adapter(peer.url, ["starttls": "true"]))
        #expect(untrusted.outcome.name == "failed", "\(untrusted.outcome)")
    }

    @Test("STARTTLS required against a server that does not offer it is permanent")
    func startTLSMissing() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let report = await Delivery.deliver(Samples.email(), via: try adapter(peer.url, ["starttls": "true"]))
        #expect(report.outcome.name == "failed", "\(report.outcome)")
        #expect(report.outcome.answer.hasPrefix("curl 64:"))
    }

    @Test("reply codes decide: 451 retries, 550 and 554-after-DATA are permanent")
    func replyCodes() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let a = try adapter(peer.url)
        let temp = await a.send(try a.prepare(Samples.email(to: "tempfail@example.com"), now: Samples.now))
        #expect(temp.isRetryable, "\(temp)")
        #expect(temp.answer.contains("451"))
        let rejected = await a.send(try a.prepare(Samples.email(to: "reject@example.com"), now: Samples.now))
        #expect(rejected.name == "failed", "\(rejected)")
        #expect(rejected.answer.contains("550"))
        let refused = await a.send(try a.prepare(Samples.email(to: "datafail@example.com"), now: Samples.now))
        #expect(refused.name == "failed", "\(refused)")
        #expect(refused.answer.contains("554"))
    }

    @Test("a timeout after DATA is ambiguous and not retried")
    func timeoutAfterData() async throws {
        guard Self.available else { return }
        let peer = try SMTPPeer()
        defer { peer.stop() }
        let report = await Delivery.deliver(
            Samples.email(to: "hang@example.com"), via: try adapter(peer.url, ["timeout": "1s"]))
        #expect(report.outcome.name == "unknown", "\(report.outcome)")
        #expect(report.attempts == 1)
    }

    @Test("nobody listening is retried")
    func refused() async throws {
        let a = try adapter("smtp://127.0.0.1:\(try closedPort())")
        #expect(await a.send(try a.prepare(Samples.email(), now: Samples.now)).isRetryable)
    }
}
