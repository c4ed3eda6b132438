#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file descriptor written in large chunks from a `LineBuffer`, so memory stays at one chunk.
struct OutputFile: ~Copyable {
    /// Chunk size that triggers a write.
    static let chunk = 1 << 20

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Bytes waiting to be written; 64 KiB of slack above a chunk, far more than one line.
    var buffer = LineBuffer(capacity: OutputFile.chunk + 64 * 1024)
    /// Bytes written so far.
    private(set) var written = 0

    /// An I/O failure, with the path and errno text.
    struct Failure: Error {
        /// What failed.
        let message: String
    }

    /// Opens (creates, truncates) `path`, or standard output for `-`.
    init(path: String) throws(Failure) {
        if path == "-" {
            descriptor = 1
            ownsDescriptor = false
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw Failure(message: "\(path): \(String(cString: strerror(errno)))") }
            descriptor = fd
            ownsDescriptor = true
        }
    }

    /// Writes the buffer out once it holds a full chunk.
    @inline(__always)
    mutating func flushIfFull() throws(Failure) {
        if buffer.count >= Self.chunk { try flush() }
    }

    /// Writes everything buffered.
    mutating func flush() throws(Failure) {
        let bytes = buffer.bytes
        var offset = 0
        while offset < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(message: "write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        written += bytes.count
        buffer.reset()
    }

    /// Flushes and closes the file (not standard output).
    mutating func close() throws(Failure) {
        try flush()
        guard ownsDescriptor else { return }
        #if canImport(Glibc)
            let status = Glibc.close(descriptor)
        #else
            let status = Darwin.close(descriptor)
        #endif
        if status != 0 { throw Failure(message: "close: \(String(cString: strerror(errno)))") }
    }
}
