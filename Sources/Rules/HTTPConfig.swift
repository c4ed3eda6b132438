import TouchpointCore
import Yams

/// The config's `http:` block (SPEC §9): where the daemon's HTTP side listens and how it signs links.
/// Absent means off: no server, and messages keep their links as written.
public struct HTTPConfig: Sendable, Hashable {
    /// The address to bind (`127.0.0.1`, `0.0.0.0`, `::1`).
    public var host: String
    /// The port to bind; 0 picks a free one (tests).
    public var port: Int
    /// The base of every link put into messages, without a trailing slash (`https://t.shop.example`).
    public var publicURL: String
    /// The HMAC key for link tokens.
    public var secret: String
    /// Keys accepted as the Basic auth user name on `/v1/*`.
    public var writeKeys: [String]
    /// How long open and click links keep working (`link-expiry`, default 90 days).
    public var linkLifetime: TimeSpan
    /// The Twilio auth token that signs `/hooks/twilio/*` callbacks (`twilio-token`; default the `sms`
    /// channel's `token` when that is a `twilio` adapter).
    public var twilioToken: String?
    /// Where the block starts.
    public var location: SourceLocation

    /// An `http` block.
    public init(
        host: String, port: Int, publicURL: String, secret: String, writeKeys: [String] = [],
        linkLifetime: TimeSpan = .days(90), twilioToken: String? = nil,
        location: SourceLocation = SourceLocation(file: "<built-in>", line: 0)
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.secret = secret
        self.writeKeys = writeKeys
        self.linkLifetime = linkLifetime
        self.twilioToken = twilioToken
        self.location = location
    }

    /// The keys of the block.
    static let keys = ["listen", "public-url", "secret", "write-keys", "link-expiry", "twilio-token"]

    /// `host:port`, `[v6]:port` or `:port` (all interfaces); `nil` when it is none of them.
    static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":")
            else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon].isEmpty ? "0.0.0.0" : text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }), let port = Int(portText),
            (0...65535).contains(port)
        else { return nil }
        return (String(host), port)
    }
}

extension ConfigReader {
    mutating func http(_ node: Node, channels: [Channel: ChannelConfig]) -> HTTPConfig? {
        if node.tagName == .null { return nil }
        if case .scalar(let s) = node, ["none", "false", "off"].contains(s.string) { return nil }
        guard let fields = reader.mapping(node, name: "http", keys: HTTPConfig.keys) else { return nil }
        let before = reader.errorCount
        var listen: (host: String, port: Int)?
        if let n = reader.require(fields, "listen"), let text = reader.string(n, name: "listen") {
            listen = HTTPConfig.parseListen(text.value)
            if listen == nil {
                reader.error(
                    "bad-listen",
                    "'listen' must be host:port like 127.0.0.1:8088 (port 0 picks a free one), found '\(text.value)'",
                    at: text.location)
            }
        }
        var publicURL: String?
        if let n = reader.require(fields, "public-url"), let url = string(n, name: "public-url") {
            let lower = url.lowercased()
            let rest =
                lower.hasPrefix("https://")
                ? lower.dropFirst(8) : lower.hasPrefix("http://") ? lower.dropFirst(7) : ""
            if rest.isEmpty || rest.hasPrefix("/") {
                reader.error(
                    "bad-url", "'public-url' must be an http:// or https:// address, found '\(url)'",
                    at: reader.location(of: n))
            } else {
                var trimmed = url
                while trimmed.hasSuffix("/") { trimmed.removeLast() }
                publicURL = trimmed
            }
        }
        var secret: String?
        if let n = reader.require(fields, "secret"), let s = string(n, name: "secret") {
            if s.isEmpty {
                reader.error(
                    "empty-value", "'secret' must not be empty: it signs every tracking link",
                    at: reader.location(of: n))
            } else {
                if s.utf8.count < 16 {
                    reader.warning(
                        "weak-secret",
                        "'secret' is \(s.utf8.count) bytes; use at least 16 random bytes (32 is usual), or links can be forged",
                        at: reader.location(of: n))
                }
                secret = s
            }
        }
        var writeKeys: [String] = []
        if let n = fields["write-keys"], let items = reader.sequence(n, name: "write-keys") {
            for item in items {
                guard let key = string(item, name: "write key") else { continue }
                if key.isEmpty {
                    reader.error(
                        "empty-value", "a write key must not be empty", at: reader.location(of: item))
                } else {
                    writeKeys.append(key)
                }
            }
        }
        var lifetime = TimeSpan.days(90)
        if let n = fields["link-expiry"], let d = reader.duration(n, name: "link-expiry") {
            if d.seconds <= 0 {
                reader.error(
                    "bad-duration", "'link-expiry' must be longer than 0", at: reader.location(of: n))
            } else {
                lifetime = d
            }
        }
        var twilioToken = fields["twilio-token"].flatMap { string($0, name: "twilio-token") }
        if twilioToken == nil, let sms = channels[.sms], sms.kind.value == "twilio" {
            twilioToken = sms.string("token")
        }
        guard reader.errorCount == before, let listen, let publicURL, let secret else { return nil }
        return HTTPConfig(
            host: listen.host, port: listen.port, publicURL: publicURL, secret: secret, writeKeys: writeKeys,
            linkLifetime: lifetime, twilioToken: twilioToken, location: fields.location)
    }
}
