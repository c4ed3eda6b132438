import Foundation
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A daemon's exclusive claim on a SQLite store, held for the life of the process.
///
/// Two daemons on one store each apply every event (800 lines were counted as ~1,200 applied) and each
/// recover the other's in-flight sends at start-up (24 duplicates). A SQLite store therefore admits one
/// daemon: `flock(LOCK_EX)` on `<store>.lock`, which the kernel drops when the process ends however it
/// ends (`kill -9` included), so a crash never leaves a stale lock. The file names the holder (pid, host,
/// lease owner, since when) so the refusal can say who it is.
///
/// Membership is a property of the store kind, not of the daemon: a store on a shared server (a future
/// PostgreSQL cluster mode) would register each node under its lease owner instead of locking, admit
/// several, and recover at start-up only the `sending` rows of nodes whose lease lapsed. The lease owner
/// already stamped on every claim and attempt record is that node identity.
public final class StoreLock: Sendable {
    /// Who holds a lock: what the refusal names.
    public struct Holder: Sendable, Hashable, CustomStringConvertible {
        /// The holder's process id.
        public var pid: Int32
        /// The holder's host name.
        public var host: String
        /// The holder's lease owner (the name on its outbox claims).
        public var owner: String
        /// When it took the lock.
        public var since: Instant

        /// A holder.
        public init(pid: Int32, host: String, owner: String, since: Instant) {
            self.pid = pid
            self.host = host
            self.owner = owner
            self.since = since
        }

        /// `pid 1234 on host shop-1 (lease owner touchpoint-1234) since 2026-11-20T10:00:00Z`.
        public var description: String {
            "pid \(pid) on host \(host) (lease owner \(owner)) since \(ISO8601.format(since, offsetSeconds: 0))"
        }

        /// The lock file's one line.
        var line: String { "\(pid) \(since.milliseconds) \(host) \(owner)\n" }

        /// Parses ``line``; `nil` for anything else (an empty file: the holder has not written it yet).
        init?(line: String) {
            let parts = line.trimmingCharacters(in: .whitespacesAndNewlines).split(
                separator: " ", maxSplits: 3)
            guard parts.count == 4, let pid = Int32(parts[0]), let ms = Int64(parts[1]) else { return nil }
            self.init(
                pid: pid, host: String(parts[2]), owner: String(parts[3]), since: Instant(milliseconds: ms))
        }
    }

    /// Another process holds the store.
    public struct InUse: Error, Sendable, CustomStringConvertible {
        /// The store's path.
        public var store: String
        /// Who holds it, when the lock file says.
        public var holder: Holder?

        /// The refusal, naming the other process.
        public var description: String {
            let who = holder.map { "another touchpoint run, \($0)" } ?? "another touchpoint run"
            return
                "store \(store) is in use by \(who); one daemon per store (stop it first, or give this one "
                + "its own store)"
        }
    }

    /// The lock file's path.
    public let path: String
    /// This process, as written in the lock file.
    public let holder: Holder
    private let descriptor: Int32

    /// The lock file of the store at `storePath`.
    public static func path(forStore storePath: String) -> String { storePath + ".lock" }

    /// Takes the lock of the store at `storePath` for `owner`, or throws ``InUse`` naming the holder.
    /// The lock file is created `0600`.
    public init(storePath: String, owner: String, at now: Instant) throws {
        let path = Self.path(forStore: storePath)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.io("cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let text = Self.read(fd)
            close(fd)
            if code == EWOULDBLOCK {
                throw InUse(store: storePath, holder: Holder(line: text))
            }
            throw StoreError.io("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        _ = fchmod(fd, 0o600)
        let holder = Holder(pid: getpid(), host: Self.hostName(), owner: owner, since: now)
        let bytes = Array(holder.line.utf8)
        _ = ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.holder = holder
        self.descriptor = fd
    }

    /// Releases the lock (closing the descriptor is what releases it).
    deinit {
        close(descriptor)
    }

    /// `gethostname`, not `ProcessInfo.hostName` (which may wait on a name lookup); spaces would split the line.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: " ", with: "_")
    }

    private static func read(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }
}
