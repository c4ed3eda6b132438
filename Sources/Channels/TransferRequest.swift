/// One libcurl transfer to run, as plain values: an HTTP request or an SMTP transaction.
public struct TransferRequest: Sendable, Hashable {
    /// `http(s)://...` or `smtp(s)://host:port`.
    public var url: String
    /// The HTTP method; only `POST` carries a body. Ignored for SMTP.
    public var method: String
    /// Header lines, `Name: value` (HTTP only).
    public var headers: [String]
    /// The request body or the RFC 5322 message.
    public var body: [UInt8]
    /// The SMTP envelope sender (bare address).
    public var mailFrom: String?
    /// The SMTP envelope recipients (bare addresses).
    public var recipients: [String]
    /// The login name (SMTP AUTH).
    public var username: String?
    /// The password (SMTP AUTH).
    public var password: String?
    /// Refuse to go on without TLS (STARTTLS required: `CURLUSESSL_ALL`).
    public var requireTLS: Bool
    /// Use STARTTLS when the server offers it, go on in the clear when it does not (`CURLUSESSL_TRY`).
    public var tryTLS: Bool = false
    /// A CA bundle to verify the peer with, instead of the system's.
    public var caFile: String?
    /// Skip certificate verification (tests and private relays only).
    public var insecure: Bool
    /// The whole transfer's time limit.
    public var timeoutMilliseconds: Int
    /// The connect phase's time limit.
    public var connectTimeoutMilliseconds: Int
    /// Abort when fewer than one byte per second moves for this many seconds.
    public var lowSpeedSeconds: Int

    /// A transfer; timeouts default to 30 s overall, 10 s to connect, 30 s stalled.
    public init(
        url: String, method: String = "POST", headers: [String] = [], body: [UInt8] = [],
        mailFrom: String? = nil,
        recipients: [String] = [], username: String? = nil, password: String? = nil, requireTLS: Bool = false,
        caFile: String? = nil, insecure: Bool = false, timeoutMilliseconds: Int = 30_000,
        connectTimeoutMilliseconds: Int = 10_000, lowSpeedSeconds: Int = 30
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.caFile = caFile
        self.insecure = insecure
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.lowSpeedSeconds = lowSpeedSeconds
    }
}

/// What a transfer came to, as facts for ``Classification``.
public struct TransferResult: Sendable, Hashable {
    /// The libcurl result code (`CURLE_OK` = 0).
    public var curlCode: Int
    /// The HTTP status or the last SMTP reply code; 0 when none arrived.
    public var status: Int
    /// Response header lines of the final response (HTTP), or the server's reply lines (SMTP).
    public var headerLines: [String]
    /// The response body, capped at 1 MiB.
    public var body: [UInt8]
    /// libcurl's error text, empty on success.
    public var errorText: String
    /// libcurl asked for body bytes: for HTTP the request was going out; for SMTP the server had said 354
    /// to DATA.
    public var bodyStarted: Bool

    /// A result.
    public init(
        curlCode: Int, status: Int = 0, headerLines: [String] = [], body: [UInt8] = [],
        errorText: String = "",
        bodyStarted: Bool = false
    ) {
        self.curlCode = curlCode
        self.status = status
        self.headerLines = headerLines
        self.body = body
        self.errorText = errorText
        self.bodyStarted = bodyStarted
    }

    /// The first response header with this name, case-insensitively (HTTP).
    public func header(_ name: String) -> String? {
        let prefix = name.lowercased() + ":"
        for line in headerLines where line.lowercased().hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count)).trimmingSpaces()
        }
        return nil
    }

    /// The status of the response's status line (`HTTP/1.1 200 OK` → 200) as read before the transfer ended,
    /// whether or not it ended well; `nil` when no status line arrived.
    public var statusLineCode: Int? {
        if status > 0 { return status }
        guard let line = headerLines.first, line.hasPrefix("HTTP/") else { return nil }
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[1].count == 3 else { return nil }
        return Int(parts[1])
    }

    /// The body as text, lossily decoded.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The libcurl code used when the transport was shut down before the transfer ran.
    public static let abortedCode = 42
}

extension String {
    func trimmingSpaces() -> String {
        // `isWhitespace`, not a list of characters: "\r\n" is one Character in Swift.
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
