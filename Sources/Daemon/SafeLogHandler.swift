import Logging
import TouchpointCore

/// A log handler in front of another that makes every logged value safe to print: control characters are
/// escaped (an address holding `\n` forged a complete `critical …` line), and email addresses and phone
/// numbers are masked (`l***@e***.com`, `+155***67`), wherever they appear: in a peer's answer, an error,
/// a customer id that is an address.
public struct SafeLogHandler: LogHandler {
    private var inner: any LogHandler

    /// Wraps `inner`.
    public init(_ inner: any LogHandler) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(LogSafety.clean) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(LogSafety.clean) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(LogSafety.clean(event.message.description))"
        event.metadata = event.metadata?.mapValues(LogSafety.clean)
        inner.log(event: event)
    }
}

extension LogSafety {
    static func clean(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let s): .string(clean(s))
        case .stringConvertible(let c): .string(clean(c.description))
        case .array(let a): .array(a.map(clean))
        case .dictionary(let d): .dictionary(d.mapValues(clean))
        }
    }
}
