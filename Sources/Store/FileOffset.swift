/// How far an events file has been read: the byte offset just after the last consumed line.
///
/// `device`, `inode` and `fingerprint` say which file that is, so that a rename, a rotation or a rewrite
/// in place can be told from plain appends; `size` is how much of the file had been looked at.
public struct FileOffset: Sendable, Hashable {
    /// The file's path, as the daemon names it.
    public var path: String
    /// Bytes consumed: the start of the next unread line.
    public var offset: UInt64
    /// Lines consumed (1-based number of the last consumed line; 0 before the first).
    public var line: Int
    /// The file's inode when it was read.
    public var inode: UInt64
    /// The file's size when it was read.
    public var size: UInt64
    /// The file's device when it was read; 0 in offsets written before devices were kept.
    public var device: UInt64
    /// A fingerprint of the file's first `offset` bytes; `nil` in offsets written before fingerprints were kept.
    public var fingerprint: UInt64?

    /// A file position.
    public init(
        path: String, offset: UInt64, line: Int, inode: UInt64, size: UInt64, device: UInt64 = 0,
        fingerprint: UInt64? = nil
    ) {
        self.path = path
        self.offset = offset
        self.line = line
        self.inode = inode
        self.size = size
        self.device = device
        self.fingerprint = fingerprint
    }
}
