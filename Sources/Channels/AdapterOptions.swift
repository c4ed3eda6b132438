import TouchpointCore

/// A channel's configuration options (`url`, `secret`, ...), already validated against its registration.
public struct AdapterOptions: Sendable, Hashable {
    /// The raw key → value map, `kind` excluded.
    public let values: [String: String]
    /// The channel kind, for error messages.
    public let kind: String

    /// Options for `kind`; validation happens in ``AdapterRegistry``.
    public init(kind: String, values: [String: String]) {
        self.kind = kind
        self.values = values
    }

    /// The value of an optional key.
    public subscript(_ key: String) -> String? { values[key] }

    /// The value of a key the registration lists as required.
    public func required(_ key: String) throws -> String {
        guard let v = values[key], !v.isEmpty else {
            throw AdapterConfigError("channel kind '\(kind)' needs option '\(key)'")
        }
        return v
    }

    /// A `true`/`false` option; absent means `defaultValue`.
    public func flag(_ key: String, default defaultValue: Bool = false) throws -> Bool {
        guard let v = values[key] else { return defaultValue }
        switch v.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            throw AdapterConfigError(
                "option '\(key)' of channel kind '\(kind)' must be true or false, not '\(v)'")
        }
    }

    /// A duration option such as `30s`; absent means `defaultValue`.
    public func duration(_ key: String, default defaultValue: TimeSpan) throws -> TimeSpan {
        guard let v = values[key] else { return defaultValue }
        guard let span = TimeSpan(parsing: v), span.seconds > 0 else {
            throw AdapterConfigError(
                "option '\(key)' of channel kind '\(kind)' must be a duration like 30s, not '\(v)'")
        }
        return span
    }
}

/// A channel configuration mistake, worded for the user.
public struct AdapterConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message, e.g. `unknown option 'secert' for channel kind 'webhook'; did you mean 'secret'?`.
    public var message: String

    /// An error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
