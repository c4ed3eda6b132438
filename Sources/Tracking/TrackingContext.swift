import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the peer's address, which the machine-open
/// heuristic reads (Apple's proxies come from 17.0.0.0/8).
public struct TrackingContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IPv4 address bytes, `nil` for IPv6 or a Unix socket.
    public let remoteIPv4: [UInt8]?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        if case .v4(let address)? = source.channel.remoteAddress {
            let raw = address.address.sin_addr.s_addr.bigEndian
            remoteIPv4 = [
                UInt8(raw >> 24 & 0xff), UInt8(raw >> 16 & 0xff), UInt8(raw >> 8 & 0xff), UInt8(raw & 0xff),
            ]
        } else {
            remoteIPv4 = nil
        }
    }

    /// Bodies are read with explicit limits per endpoint; this caps anything else.
    public var maxUploadSize: Int { 512 * 1024 }
}
