import TouchpointCore

/// Tells opens and clicks a person made from fetches a machine made, so the scheduler learns only from
/// people. A machine hit is still recorded, with `properties.machine: true` and the reason in
/// `properties.machine_reason`; the engine does not learn from it.
///
/// The heuristic, in order:
/// 1. **Apple Mail Privacy Protection** prefetches every image of every message at delivery, through
///    Apple's proxies: a bare `Mozilla/5.0` user agent (the proxy's, with nothing after it), or an address
///    in 17.0.0.0/8 (Apple's network). Reason `apple-mpp`.
/// 2. **Too soon after the send**: link scanners (Microsoft Safe Links, Mimecast, Proofpoint, Barracuda)
///    fetch every link of a message within seconds of its arrival. A hit less than ``scannerWindow`` after
///    the link was issued (the send decision; the daemon sends within moments of it). Reason `too-soon`.
/// 3. **A crawler's user agent**: one naming a bot, crawler, spider, scanner or link preview (chat apps
///    unfurl links: Slackbot, WhatsApp, Telegram, Discord, facebookexternalhit, SkypeUriPreview), or a
///    security gateway by name. Reason `user-agent`.
///
/// Image proxies that fetch only when a person opens (Gmail's `GoogleImageProxy`, Yahoo's) are real
/// opens and are not flagged.
public struct MachineOpens: Sendable {
    /// Hits this soon after a link was issued are a scanner's.
    public var scannerWindow: TimeSpan

    /// The heuristic with a scanner window (default 10 s).
    public init(scannerWindow: TimeSpan = TimeSpan(seconds: 10)) {
        self.scannerWindow = scannerWindow
    }

    static let markers = [
        "bot", "crawl", "spider", "scan", "preview", "facebookexternalhit", "whatsapp", "telegram", "discord",
        "slack", "proofpoint", "mimecast", "barracuda", "safelinks",
    ]

    /// The reason a hit is a machine's, or `nil` for a person's.
    public func reason(userAgent: String?, remoteIPv4: [UInt8]?, issuedAt: Instant, at now: Instant)
        -> String?
    {
        let agent = userAgent?.trimmingSpaces() ?? ""
        if agent == "Mozilla/5.0" || remoteIPv4?.first == 17 { return "apple-mpp" }
        if now.milliseconds - issuedAt.milliseconds < scannerWindow.milliseconds { return "too-soon" }
        let lower = agent.lowercased()
        if !lower.isEmpty, Self.markers.contains(where: { lower.contains($0) }) { return "user-agent" }
        return nil
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
