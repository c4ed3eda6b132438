/// How far an events file has been read: the byte offset just after the last consumed line.
///
/// `inode` and `size` let the reader tell rotation (a new inode at the same path) and
/// truncation (a size below the offset) from plain appends.
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

    /// A file position.
    public init(path: String, offset: UInt64, line: Int, inode: UInt64, size: UInt64) {
        self.path = path
        self.offset = offset
        self.line = line
        self.inode = inode
        self.size = size
    }
}
