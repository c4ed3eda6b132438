import Foundation
import TouchpointCore
import Yams

/// `store: postgres://user:pass@host:port/db` or `store: { kind: postgres, url: …, pool: 8 }` (SPEC §10):
/// the daemon's state in PostgreSQL instead of a SQLite file.
public struct PostgresConfig: Sendable, Hashable {
    /// How the connection is encrypted: libpq's `sslmode` values that mean something without certificates
    /// on the client side.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS or no connection.
        case require
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port (default 5432).
    public var port: Int
    /// The role to connect as.
    public var user: String
    /// The password: from the URL, else from `PGPASSWORD` in the environment; `nil` for none.
    public var password: String?
    /// The database (default: the user's name, as libpq does).
    public var database: String
    /// `?sslmode=` (default `prefer`).
    public var tls: TLSMode
    /// Connections kept to the server at most (default 8).
    public var pool: Int
    /// Where the `store` value is written.
    public var location: SourceLocation

    /// A PostgreSQL store.
    public init(
        host: String, port: Int = 5432, user: String, password: String?, database: String,
        tls: TLSMode = .prefer, pool: Int = 8,
        location: SourceLocation = SourceLocation(file: "<built-in>", line: 0)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.pool = pool
        self.location = location
    }

    /// `postgres://user@host:port/db`: the URL without its password, for logs, `status` and messages.
    public var display: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(h):\(port)/\(database)"
    }

    /// Parses a `postgres://` or `postgresql://` URL; `PGPASSWORD` (in `environment`) supplies a password the
    /// URL leaves out. Returns the reason when the text is not such a URL.
    public static func parse(url text: String, environment: [String: String]) -> Result<
        PostgresConfig, Problem
    > {
        let lower = text.lowercased()
        guard let scheme = ["postgres://", "postgresql://"].first(where: { lower.hasPrefix($0) }) else {
            return .failure(Problem("a PostgreSQL store is a postgres:// URL"))
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncoding
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding
            } else {
                user = String(credentials).removingPercentEncoding
            }
        }
        var host = String(rest)
        var port = 5432
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                return .failure(Problem("unterminated '[' in the host of \(redacted(text))"))
            }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    return .failure(Problem("bad port in \(redacted(text))"))
                }
                port = p
            } else if !after.isEmpty {
                return .failure(Problem("bad host in \(redacted(text))"))
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(Problem("bad port in \(redacted(text))"))
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else {
            return .failure(Problem("\(redacted(text)) names no host (write postgres://user@host:port/db)"))
        }
        guard let user, !user.isEmpty else {
            return .failure(Problem("\(redacted(text)) names no user (write postgres://user@host:port/db)"))
        }
        var tls = TLSMode.prefer
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0]
            let value = parts.count > 1 ? parts[1].removingPercentEncoding ?? parts[1] : ""
            switch key {
            case "sslmode":
                // libpq's `allow` behaves as `prefer` would for us, and the `verify-*` modes as `require` plus
                // certificate checks postgres-nio's default TLS configuration already does.
                switch value {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default:
                    return .failure(
                        Problem("unknown sslmode '\(value)'; use disable, prefer or require"))
                }
            default:
                let hint = Suggest.didYouMean(key, in: ["sslmode"])
                return .failure(Problem("unknown URL parameter '\(key)'\(hint)"))
            }
        }
        if password == nil, let fromEnvironment = environment["PGPASSWORD"] { password = fromEnvironment }
        let database = path.isEmpty ? user : String(path).removingPercentEncoding ?? String(path)
        return .success(
            PostgresConfig(
                host: host, port: port, user: user, password: password, database: database, tls: tls))
    }

    /// `text` with the password of a URL replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
            at.lowerBound > scheme.upperBound
        else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at.lowerBound...])
    }

    /// Why a URL was refused.
    public struct Problem: Error, Sendable, Hashable {
        /// The message.
        public var message: String
        init(_ message: String) { self.message = message }
    }
}

/// `cluster: { partitions: 64, lease: 10s, node: NAME }` (SPEC §10): several daemons share one PostgreSQL
/// store, each holding a share of the customers' partitions.
public struct ClusterConfig: Sendable, Hashable {
    /// How many partitions customers are hashed into; fixed for the life of the store (default 64).
    public var partitions: Int
    /// How long a node's hold on its partitions lasts without a renewal (default 10 s); renewed every third.
    public var lease: TimeSpan
    /// This node's name, unique in the cluster (default: the host name).
    public var node: String
    /// How often population statistics are merged across nodes (default 30 s).
    public var statsEvery: TimeSpan
    /// Where the block starts.
    public var location: SourceLocation

    /// A cluster block.
    public init(
        partitions: Int = 64, lease: TimeSpan = TimeSpan(seconds: 10), node: String,
        statsEvery: TimeSpan = TimeSpan(seconds: 30),
        location: SourceLocation = SourceLocation(file: "<built-in>", line: 0)
    ) {
        self.partitions = partitions
        self.lease = lease
        self.node = node
        self.statsEvery = statsEvery
        self.location = location
    }

    /// The keys of the block.
    static let keys = ["partitions", "lease", "node", "stats-every"]

    /// The host name, the default node name (`$HOSTNAME` is often not exported to the daemon's environment).
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

extension ConfigReader {
    /// The `store` value: a SQLite path (returned as `path`) or a PostgreSQL URL or mapping (`postgres`).
    mutating func store(_ node: Node) -> (path: String?, postgres: PostgresConfig?) {
        if case .mapping = node {
            guard let fields = reader.mapping(node, name: "store", keys: ["kind", "url", "path", "pool"])
            else {
                return (nil, nil)
            }
            guard let kindNode = reader.require(fields, "kind"),
                let kind = reader.string(kindNode, name: "kind")
            else { return (nil, nil) }
            switch kind.value {
            case "sqlite":
                for key in ["url", "pool"] where fields.has(key) {
                    reader.error(
                        "unknown-key", "'\(key)' is a postgres store's key; a sqlite store takes 'path'",
                        at: fields.keyLocation(key) ?? fields.location)
                }
                guard let n = reader.require(fields, "path"), let path = string(n, name: "path") else {
                    return (nil, nil)
                }
                return (path, nil)
            case "postgres", "postgresql":
                if fields.has("path") {
                    reader.error(
                        "unknown-key", "'path' is a sqlite store's key; a postgres store takes 'url'",
                        at: fields.keyLocation("path") ?? fields.location)
                }
                guard let n = reader.require(fields, "url"), let url = string(n, name: "url") else {
                    return (nil, nil)
                }
                guard var config = postgres(url, at: reader.location(of: n)) else { return (nil, nil) }
                config.location = fields.location
                if let p = fields["pool"], let pool = reader.int(p, name: "pool") {
                    if pool < 1 || pool > 1000 {
                        reader.error(
                            "bad-value", "'pool' must be 1 to 1000 connections", at: reader.location(of: p))
                    } else {
                        config.pool = pool
                    }
                }
                return (nil, config)
            default:
                let hint = Suggest.didYouMean(kind.value, in: ["sqlite", "postgres"])
                reader.error(
                    "unknown-store",
                    "unknown store kind '\(kind.value)'\(hint.isEmpty ? "; use sqlite or postgres" : hint)",
                    at: kind.location)
                return (nil, nil)
            }
        }
        guard let text = string(node, name: "store") else { return (nil, nil) }
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            return (nil, postgres(text, at: reader.location(of: node)))
        }
        if lower.contains("://") {
            reader.error(
                "unknown-store",
                "'store' is a SQLite file path or a postgres:// URL, found \(PostgresConfig.redacted(text))",
                at: reader.location(of: node))
            return (nil, nil)
        }
        return (text, nil)
    }

    private mutating func postgres(_ url: String, at location: SourceLocation) -> PostgresConfig? {
        switch PostgresConfig.parse(url: url, environment: environment) {
        case .success(var config):
            config.location = location
            if let password = config.password, password.count >= 4 { expansions[password] = "PGPASSWORD" }
            return config
        case .failure(let problem):
            reader.error("bad-store-url", problem.message, at: location)
            return nil
        }
    }

    mutating func cluster(_ node: Node) -> ClusterConfig? {
        if node.tagName == .null { return nil }
        if case .scalar(let s) = node, ["none", "false", "off"].contains(s.string) { return nil }
        guard let fields = reader.mapping(node, name: "cluster", keys: ClusterConfig.keys) else { return nil }
        var config = ClusterConfig(node: ClusterConfig.hostName(), location: fields.location)
        if let n = fields["partitions"], let p = reader.int(n, name: "partitions") {
            if p < 1 || p > 4096 {
                reader.error("bad-value", "'partitions' must be 1 to 4096", at: reader.location(of: n))
            } else {
                config.partitions = p
            }
        }
        if let n = fields["lease"], let d = reader.duration(n, name: "lease") {
            if d.seconds < 1 {
                reader.error(
                    "bad-duration", "'lease' must be at least 1s (it is renewed every third of it)",
                    at: reader.location(of: n))
            } else {
                config.lease = d
            }
        }
        if let n = fields["stats-every"], let d = reader.duration(n, name: "stats-every") {
            if d.seconds < 1 {
                reader.error("bad-duration", "'stats-every' must be at least 1s", at: reader.location(of: n))
            } else {
                config.statsEvery = d
            }
        }
        if let n = fields["node"], let name = string(n, name: "node") {
            if name.isEmpty || name.utf8.count > 63
                || name.unicodeScalars.contains(where: {
                    $0.properties.isWhitespace || $0.value < 0x20 || $0 == "/" || $0 == "#"
                })
            {
                reader.error(
                    "bad-value",
                    "'node' must be 1 to 63 characters without spaces, '/' or '#' (it names this node in the cluster)",
                    at: reader.location(of: n))
            } else {
                config.node = name
            }
        }
        return config
    }
}
