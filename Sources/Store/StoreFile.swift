import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The store's file on disk: created private, and watched for being deleted or replaced under the daemon.
struct StoreFile: Sendable, Hashable {
    /// The database path.
    let path: String
    /// Device and inode when the store was opened.
    let device: UInt64
    let inode: UInt64

    /// The files SQLite keeps beside the database (write-ahead log, shared memory).
    static func companions(of path: String) -> [String] { [path + "-wal", path + "-shm"] }

    /// Makes the database file private before SQLite opens it: a missing file is created `0600`, and existing
    /// files are narrowed to `0600`. SQLite creates the `-wal` and `-shm` files with the database file's
    /// permissions, so they follow. Every address in the store was readable by any local user while these
    /// followed the umask (0644).
    static func prepare(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.io("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        _ = fchmod(fd, 0o600)
        close(fd)
        for companion in companions(of: path) { _ = chmod(companion, 0o600) }
    }

    /// The file's identity now; `nil` when it is gone.
    static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    init?(path: String) {
        guard let id = Self.identity(of: path) else { return nil }
        self.path = path
        device = id.device
        inode = id.inode
    }

    /// Throws ``StoreError/replaced(_:)`` when the path no longer names the file that was opened.
    func check() throws {
        guard let now = Self.identity(of: path) else {
            throw StoreError.replaced(
                "\(path) was deleted while the daemon was using it; stopping so that nothing more is committed to a "
                    + "file nobody will read (restore it, or start again with --new-store or --from-start)")
        }
        guard now.device == device, now.inode == inode else {
            throw StoreError.replaced(
                "\(path) was replaced by another file while the daemon was using it (inode \(inode) → \(now.inode)); "
                    + "stopping so that nothing more is committed to the old one")
        }
    }
}
