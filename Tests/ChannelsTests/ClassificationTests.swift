import Testing
import TouchpointCore

@testable import Channels

/// One test per row of the outcome table in `Classification`.
@Suite("Outcome table")
struct ClassificationTests {
    let now = Instant(seconds: 1_000_000)
    let limit = TimeSpan(seconds: 600)

    func http(_ r: TransferResult, dedup: Bool = true) -> DeliveryOutcome {
        Classification.outcome(r, peer: .http(deduplicates: dedup), now: now, retryAfterLimit: limit)
    }

    func smtp(_ r: TransferResult) -> DeliveryOutcome {
        Classification.outcome(r, peer: .smtp, now: now, retryAfterLimit: limit)
    }

    func ok(_ status: Int, headers: [String] = []) -> TransferResult {
        TransferResult(
            curlCode: 0, status: status, headerLines: ["HTTP/1.1 \(status) X"] + headers, bodyStarted: true)
    }

    @Test("HTTP 2xx is delivered", arguments: [200, 201, 202, 204])
    func http2xx(status: Int) {
        guard case .delivered = http(ok(status)) else {
            Issue.record("\(status) not delivered")
            return
        }
    }

    @Test("HTTP 408 and 429 retry after the Retry-After they carry", arguments: [408, 429])
    func httpRetryAfter(status: Int) {
        #expect(
            http(ok(status, headers: ["Retry-After: 7"]))
                == .retry(after: TimeSpan(seconds: 7), answer: "status \(status)"))
        #expect(http(ok(status)) == .retry(after: nil, answer: "status \(status)"))
    }

    @Test("HTTP 429's Retry-After is clamped to the limit")
    func httpRetryAfterClamped() {
        #expect(http(ok(429, headers: ["retry-after: 99999"])).isRetryable)
        #expect(http(ok(429, headers: ["retry-after: 99999"])) == .retry(after: limit, answer: "status 429"))
    }

    @Test("HTTP 410 disables the endpoint")
    func http410() {
        #expect(http(ok(410)) == .disableEndpoint(answer: "status 410"))
        #expect(http(ok(410), dedup: false) == .disableEndpoint(answer: "status 410"))
    }

    @Test(
        "other HTTP 4xx, 1xx and 3xx are permanent", arguments: [400, 401, 403, 404, 413, 422, 101, 301, 302])
    func httpPermanent(status: Int) {
        #expect(http(ok(status)) == .permanent(answer: "status \(status)"))
    }

    @Test(
        "HTTP 5xx retries when the peer deduplicates, is ambiguous when it does not",
        arguments: [500, 502, 503])
    func http5xx(status: Int) {
        #expect(
            http(ok(status, headers: ["Retry-After: 2"]))
                == .retry(after: TimeSpan(seconds: 2), answer: "status \(status)"))
        #expect(http(ok(status), dedup: false) == .ambiguous(answer: "status \(status)"))
    }

    @Test("resolve, connect and TLS handshake failures retry: nothing was sent", arguments: [5, 6, 7, 35])
    func notSent(code: Int) {
        let r = TransferResult(curlCode: code, errorText: "x")
        #expect(http(r, dedup: false) == .retry(after: nil, answer: "curl \(code): x"))
        #expect(smtp(r) == .retry(after: nil, answer: "curl \(code): x"))
    }

    @Test("a bad URL or certificate is permanent", arguments: [3, 58, 60, 77])
    func misconfigured(code: Int) {
        let r = TransferResult(curlCode: code, errorText: "x", bodyStarted: false)
        #expect(http(r) == .permanent(answer: "curl \(code): x"))
        #expect(smtp(r) == .permanent(answer: "curl \(code): x"))
    }

    @Test(
        "an answer without a status line (curl 1, HTTP/0.9) is a broken peer: retried, or unknown where the body went out to a peer that cannot deduplicate"
    )
    func noStatusLine() {
        let before = TransferResult(
            curlCode: 1, errorText: "Received HTTP/0.9 when not allowed", bodyStarted: false)
        #expect(http(before, dedup: false).isRetryable)
        let after = TransferResult(
            curlCode: 1, errorText: "Received HTTP/0.9 when not allowed", bodyStarted: true)
        #expect(http(after, dedup: true).isRetryable)
        #expect(http(after, dedup: false).name == "unknown")
    }

    @Test(
        "once a 2xx status line was read, a transfer that then failed is delivered, never retried",
        arguments: [18, 28, 56, 52])
    func twoHundredThenFailure(code: Int) {
        let byCode = TransferResult(curlCode: code, status: 200, errorText: "x", bodyStarted: true)
        #expect(http(byCode, dedup: false).name == "delivered")
        #expect(http(byCode, dedup: true).name == "delivered")
        let byLine = TransferResult(
            curlCode: code, status: 0, headerLines: ["HTTP/1.1 202 Accepted"], errorText: "x",
            bodyStarted: true)
        #expect(http(byLine, dedup: false).name == "delivered")
        let continued = TransferResult(
            curlCode: code, status: 0, headerLines: ["HTTP/1.1 100 Continue"], errorText: "x",
            bodyStarted: true)
        #expect(http(continued, dedup: false).name == "unknown")
    }

    @Test(
        "HTTP timeout, reset or empty answer before the body went out retries",
        arguments: [28, 52, 55, 56, 8])
    func httpFailureBeforeBody(code: Int) {
        let r = TransferResult(curlCode: code, errorText: "x", bodyStarted: false)
        #expect(http(r, dedup: false) == .retry(after: nil, answer: "curl \(code): x"))
    }

    @Test(
        "HTTP timeout, reset or empty answer after the body went out: retry if deduplicated, else ambiguous",
        arguments: [28, 52, 55, 56, 8, 18])
    func httpFailureAfterBody(code: Int) {
        let r = TransferResult(curlCode: code, errorText: "x", bodyStarted: true)
        #expect(http(r, dedup: true) == .retry(after: nil, answer: "curl \(code): x"))
        #expect(http(r, dedup: false) == .ambiguous(answer: "curl \(code): x"))
    }

    @Test("SMTP success is delivered")
    func smtpOK() {
        let r = TransferResult(
            curlCode: 0, status: 250, headerLines: ["250 OK queued as 1"], bodyStarted: true)
        #expect(smtp(r) == .delivered(providerId: nil, answer: "status 250: 250 OK queued as 1"))
    }

    @Test("an SMTP 4xx reply retries, even after DATA", arguments: [421, 451, 452, 454])
    func smtp4xx(code: Int) {
        #expect(smtp(TransferResult(curlCode: 55, status: code, bodyStarted: false)).isRetryable)
        #expect(smtp(TransferResult(curlCode: 55, status: code, bodyStarted: true)).isRetryable)
    }

    @Test("an SMTP 5xx reply is permanent", arguments: [500, 535, 550, 552, 554])
    func smtp5xx(code: Int) {
        guard case .permanent = smtp(TransferResult(curlCode: 55, status: code, bodyStarted: true)) else {
            Issue.record("\(code) not permanent")
            return
        }
    }

    @Test("STARTTLS required but not offered is permanent")
    func smtpNoStartTLS() {
        guard case .permanent = smtp(TransferResult(curlCode: 64, status: 250)) else {
            Issue.record("64 not permanent")
            return
        }
    }

    @Test("an SMTP timeout or reset after DATA was accepted is ambiguous", arguments: [28, 55, 56])
    func smtpAfterData(code: Int) {
        #expect(
            smtp(TransferResult(curlCode: code, status: 354, errorText: "t", bodyStarted: true))
                == .ambiguous(answer: "curl \(code): t: status 354"))
    }

    @Test("an SMTP timeout or reset before DATA retries", arguments: [28, 55, 56])
    func smtpBeforeData(code: Int) {
        #expect(
            smtp(TransferResult(curlCode: code, status: 250, errorText: "t", bodyStarted: false)).isRetryable)
    }

    @Test(
        "an SMTP refusal keeps the server's reply with its code, continuation lines joined, not a later 221")
    func smtpReplyText() {
        let lines = [
            "220 mx.example ESMTP", "250-mx.example", "250 SIZE 1000", "250 OK", "550-5.1.1 no such user",
            "550 5.1.1 try another address", "221 bye",
        ]
        let outcome = smtp(
            TransferResult(curlCode: 55, status: 550, headerLines: lines, errorText: "RCPT failed: 550"))
        #expect(
            outcome
                == .permanent(
                    answer:
                        "curl 55: RCPT failed: 550: status 550: 550 5.1.1 no such user 5.1.1 try another address"
                ))
        #expect(Classification.serverReply(["250 OK"], code: 550) == nil)
    }
}
