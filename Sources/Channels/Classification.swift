import TouchpointCore

/// The outcome table: libcurl result code × HTTP status or SMTP reply → ``DeliveryOutcome``. Pure.
///
/// | peer | facts | outcome |
/// | --- | --- | --- |
/// | HTTP | 2xx | delivered |
/// | HTTP | a 2xx status line read, then the transfer failed (closed early, timed out) | delivered (the peer took it) |
/// | HTTP | 408, 429 | retry, after `Retry-After` (clamped) |
/// | HTTP | 410 | disable endpoint |
/// | HTTP | other 4xx, 1xx/3xx | permanent |
/// | HTTP | 5xx | retry (after `Retry-After`) if the peer deduplicates, else ambiguous |
/// | any | could not resolve / connect, TLS handshake | retry (nothing was sent) |
/// | any | bad URL, certificate rejected | permanent (configuration) |
/// | HTTP | timeout / reset / empty or garbled answer (HTTP/0.9, no status line) before the body went out | retry |
/// | HTTP | the same after the body went out | retry if the peer deduplicates, else ambiguous |
/// | SMTP | success | delivered |
/// | SMTP | a 4xx reply | retry |
/// | SMTP | a 5xx reply, STARTTLS refused | permanent |
/// | SMTP | timeout / reset after DATA was accepted | ambiguous |
/// | SMTP | timeout / reset before | retry |
public enum Classification {
    /// What kind of peer answered.
    public enum Peer: Sendable, Hashable {
        /// An HTTP API; `deduplicates` when it recognises a repeated idempotency key.
        case http(deduplicates: Bool)
        /// An SMTP server (never deduplicates).
        case smtp
    }

    /// libcurl codes for failures before anything was sent: resolve proxy/host, connect, TLS handshake.
    static let notSent: Set<Int> = [5, 6, 7, 35]
    /// libcurl codes that mean the configuration is wrong: bad URL, certificate rejected, client certificate
    /// problem, unreadable CA file, bad content encoding. Not 1 (unsupported protocol): the adapters check
    /// the scheme when they are built, so at send time libcurl says it for an answer without a status
    /// line (HTTP/0.9), which is a broken peer, not a broken config.
    static let misconfigured: Set<Int> = [3, 58, 60, 77, 61]

    /// Classifies one transfer. `limit` caps how long a `Retry-After` may make us wait.
    public static func outcome(
        _ r: TransferResult, peer: Peer, now: Instant, retryAfterLimit limit: TimeSpan
    ) -> DeliveryOutcome {
        switch peer {
        case .http(let dedup): http(r, deduplicates: dedup, now: now, limit: limit)
        case .smtp: smtp(r)
        }
    }

    static func http(_ r: TransferResult, deduplicates: Bool, now: Instant, limit: TimeSpan)
        -> DeliveryOutcome
    {
        let answer = answerText(r)
        if r.curlCode != 0, let status = r.statusLineCode, (200..<300).contains(status) {
            // The peer said it took the message before the transfer broke: sending it again would be a copy.
            return .delivered(providerId: nil, answer: answer)
        }
        if r.curlCode == 0 {
            // Looked up only where it matters: a header search per delivered message is measurable.
            func after() -> TimeSpan? {
                r.header("Retry-After").flatMap { RetryAfter.parse($0, now: now, limit: limit) }
            }
            switch r.status {
            case 200..<300: return .delivered(providerId: nil, answer: answer)
            case 408, 429: return .retry(after: after(), answer: answer)
            case 410: return .disableEndpoint(answer: answer)
            case 500..<600:
                return deduplicates ? .retry(after: after(), answer: answer) : .ambiguous(answer: answer)
            default: return .permanent(answer: answer)
            }
        }
        if notSent.contains(r.curlCode) { return .retry(after: nil, answer: answer) }
        if misconfigured.contains(r.curlCode) { return .permanent(answer: answer) }
        if !r.bodyStarted || deduplicates { return .retry(after: nil, answer: answer) }
        return .ambiguous(answer: answer)
    }

    static func smtp(_ r: TransferResult) -> DeliveryOutcome {
        let answer = answerText(r)
        if r.curlCode == 0 { return .delivered(providerId: nil, answer: answer) }
        if notSent.contains(r.curlCode) { return .retry(after: nil, answer: answer) }
        // The server's own verdict wins: it said no, so it does not have the message.
        switch r.status {
        case 400..<500: return .retry(after: nil, answer: answer)
        case 500..<600: return .permanent(answer: answer)
        default: break
        }
        // 64: STARTTLS was required and the server does not offer it.
        if misconfigured.contains(r.curlCode) || r.curlCode == 64 { return .permanent(answer: answer) }
        return r.bodyStarted ? .ambiguous(answer: answer) : .retry(after: nil, answer: answer)
    }

    /// The answer as recorded: the status and a bounded slice of the body, or the transport error.
    static func answerText(_ r: TransferResult) -> String {
        var parts: [String] = []
        if r.curlCode != 0 { parts.append("curl \(r.curlCode): \(r.errorText)") }
        if r.status != 0 { parts.append("status \(r.status)") }
        let text = r.bodyText.trimmingSpaces()
        if !text.isEmpty {
            parts.append(String(text.prefix(300)))
        } else if r.status != 0, let reply = serverReply(r.headerLines, code: r.status) {
            parts.append(String(reply.prefix(300)))
        }
        return parts.joined(separator: ": ")
    }

    /// The server's own reply with `code` (SMTP: `550 5.1.1 no such user`), its continuation lines
    /// (`550-…`) joined: the last such reply among the lines read, so a later `221` to QUIT or an earlier
    /// `250` to EHLO does not stand in for it.
    static func serverReply(_ lines: [String], code: Int) -> String? {
        let prefix = String(code)
        func isReply(_ line: String) -> (final: Bool, text: Substring)? {
            guard line.hasPrefix(prefix), !line.hasPrefix("HTTP/") else { return nil }
            let rest = line.dropFirst(prefix.count)
            guard let mark = rest.first else { return (true, rest) }
            if mark == " " { return (true, rest.dropFirst()) }
            if mark == "-" { return (false, rest.dropFirst()) }
            return nil
        }
        guard let last = lines.lastIndex(where: { isReply($0)?.final == true }) else { return nil }
        var texts = [isReply(lines[last])!.text]
        var i = last
        while i > lines.startIndex, let previous = isReply(lines[i - 1]), !previous.final {
            texts.insert(previous.text, at: 0)
            i -= 1
        }
        return prefix + " " + texts.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}
