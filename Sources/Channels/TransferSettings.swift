import TouchpointCore

/// Transport options every network adapter accepts: `timeout`, `connect_timeout`, `ca_file`, `insecure`.
public struct TransferSettings: Sendable, Hashable {
    /// The option keys this reads.
    public static let keys: Set<String> = ["timeout", "connect_timeout", "ca_file", "insecure"]

    /// The whole transfer's limit (`timeout`, default 30s); also the stall limit.
    public var timeout: TimeSpan
    /// The connect phase's limit (`connect_timeout`, default 10s).
    public var connectTimeout: TimeSpan
    /// A CA bundle (`ca_file`).
    public var caFile: String?
    /// Skip certificate checks (`insecure: true`).
    public var insecure: Bool

    /// Reads the settings from validated options.
    public init(_ options: AdapterOptions) throws {
        timeout = try options.duration("timeout", default: TimeSpan(seconds: 30))
        connectTimeout = try options.duration("connect_timeout", default: TimeSpan(seconds: 10))
        caFile = options["ca_file"]
        insecure = try options.flag("insecure")
    }

    /// A transfer to `url` carrying these settings.
    func request(url: String) -> TransferRequest {
        TransferRequest(
            url: url, caFile: caFile, insecure: insecure, timeoutMilliseconds: Int(timeout.milliseconds),
            connectTimeoutMilliseconds: Int(min(connectTimeout, timeout).milliseconds),
            lowSpeedSeconds: Int(timeout.seconds))
    }
}
