#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a JSON Lines file line by line in large chunks, without loading the whole file.
///
/// Lines end at `\n`; a `\r` before it is dropped too. A UTF-8 byte order mark at the very start of
/// the file (offset 0) is skipped. A last line without a newline is still returned, marked
/// ``Line/complete`` `false`: a writer may still be appending to it. Lines longer than
/// ``maximumLineLength`` are not buffered: they come back with ``Line/tooLong`` set and no bytes.
///
/// The reader is a batch reader: once ``next()`` has returned `nil` it stays at the end. To follow a
/// growing file, persist ``Line/endOffset`` and the next line number of the last *complete* line, and
/// open a new reader there later (`startOffset`, `startLine`).
public final class JSONLinesReader {
    /// One line of the file.
    public struct Line {
        /// The 1-based line number.
        public let number: Int
        /// The line's bytes without `\n` / `\r\n`. Points into the reader's buffer: valid only until the
        /// next call to ``JSONLinesReader/next()`` and while the reader lives. Empty when ``tooLong``.
        public let bytes: UnsafeBufferPointer<UInt8>
        /// The byte offset in the file where the line starts.
        public let startOffset: UInt64
        /// The byte offset just after the line and its terminator: where reading resumes.
        public let endOffset: UInt64
        /// `false` for a last line that has no newline yet.
        public let complete: Bool
        /// The line exceeded ``JSONLinesReader/maximumLineLength`` and was skipped unread.
        public let tooLong: Bool

        /// A copy of the bytes that outlives the next read.
        public var array: [UInt8] { Array(bytes) }
    }

    /// The default read size: 1 MiB.
    public static let defaultChunkSize = 1 << 20
    /// The default line length limit: 1 MiB.
    public static let defaultMaximumLineLength = 1 << 20

    /// The path given at creation (for messages).
    public let path: String
    /// Lines longer than this many bytes (terminator excluded) are reported as ``Line/tooLong``.
    public let maximumLineLength: Int

    private let fd: Int32
    private let closeWhenDone: Bool
    private let chunkSize: Int
    private let capacity: Int
    private let buffer: UnsafeMutablePointer<UInt8>
    /// Unconsumed bytes are `buffer[start..<end]`; `buffer[start]` sits at file offset `position`.
    private var start = 0
    private var end = 0
    /// Bytes before this index are known to hold no newline.
    private var scanned = 0
    private var position: UInt64
    private var lineStart: UInt64
    private var lineNumber: Int
    /// Bytes of an over-long line already thrown away.
    private var discarding = false
    private var atEOF = false
    private var checkBOM: Bool

    /// Opens `path` and positions it at `startOffset`, numbering the first line read `startLine`.
    public convenience init(
        path: String, startOffset: UInt64 = 0, startLine: Int = 1, chunkSize: Int = defaultChunkSize,
        maximumLineLength: Int = defaultMaximumLineLength
    ) throws(JSONLinesReaderError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JSONLinesReaderError(path: path, errno: errno, doing: "open") }
        if startOffset > 0, lseek(fd, off_t(startOffset), SEEK_SET) < 0 {
            let code = errno
            close(fd)
            throw JSONLinesReaderError(path: path, errno: code, doing: "seek in")
        }
        self.init(
            fileDescriptor: fd, path: path, closeWhenDone: true, startOffset: startOffset,
            startLine: startLine,
            chunkSize: chunkSize, maximumLineLength: maximumLineLength)
    }

    /// Reads from an open descriptor (standard input, a pipe) that is already at `startOffset`.
    public init(
        fileDescriptor: Int32, path: String, closeWhenDone: Bool, startOffset: UInt64 = 0, startLine: Int = 1,
        chunkSize: Int = defaultChunkSize, maximumLineLength: Int = defaultMaximumLineLength
    ) {
        self.fd = fileDescriptor
        self.path = path
        self.closeWhenDone = closeWhenDone
        self.chunkSize = max(1, chunkSize)
        self.maximumLineLength = max(1, maximumLineLength)
        // Room for a full-length line plus its `\r\n`, and still a whole chunk to read into.
        self.capacity = self.maximumLineLength + 2 + self.chunkSize
        self.buffer = .allocate(capacity: capacity)
        self.position = startOffset
        self.lineStart = startOffset
        self.lineNumber = startLine
        self.checkBOM = startOffset == 0
    }

    deinit {
        buffer.deallocate()
        if closeWhenDone { close(fd) }
    }

    /// The offset just after the last line returned: where a later reader should resume.
    public var offset: UInt64 { lineStart }

    /// The number the next line will get.
    public var nextLineNumber: Int { lineNumber }

    /// The next line, or `nil` at the end of the file.
    public func next() throws(JSONLinesReaderError) -> Line? {
        if checkBOM {
            checkBOM = false
            while end - start < 3, !atEOF { try fill() }
            if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
                start += 3
                scanned = start
                position += 3
                lineStart += 3
            }
        }
        while true {
            if scanned < end, let hit = memchr(buffer + scanned, Int32(UInt8(ascii: "\n")), end - scanned) {
                let newline = hit.assumingMemoryBound(to: UInt8.self) - buffer
                var contentEnd = newline
                if contentEnd > start, buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                return emit(contentEnd: contentEnd, consumedEnd: newline + 1, complete: true)
            }
            scanned = end
            if end - start > maximumLineLength + 1 {
                // No newline within the limit: drop what we have and keep scanning for the line's end.
                discarding = true
                position += UInt64(end - start)
                start = 0
                end = 0
                scanned = 0
            }
            if atEOF {
                guard start < end || discarding else { return nil }
                var contentEnd = end
                if contentEnd > start, buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                return emit(contentEnd: contentEnd, consumedEnd: end, complete: false)
            }
            try fill()
        }
    }

    /// Hands out `buffer[start..<contentEnd]` and consumes through `consumedEnd`.
    private func emit(contentEnd: Int, consumedEnd: Int, complete: Bool) -> Line {
        let tooLong = discarding || contentEnd - start > maximumLineLength
        let bytes =
            tooLong
            ? UnsafeBufferPointer<UInt8>(start: nil, count: 0)
            : UnsafeBufferPointer(start: buffer + start, count: contentEnd - start)
        position += UInt64(consumedEnd - start)
        let line = Line(
            number: lineNumber, bytes: bytes, startOffset: lineStart, endOffset: position, complete: complete,
            tooLong: tooLong)
        start = consumedEnd
        scanned = start
        lineStart = position
        lineNumber += 1
        discarding = false
        return line
    }

    /// Reads more bytes after `end`, moving unconsumed bytes to the front when the tail is short.
    private func fill() throws(JSONLinesReaderError) {
        if capacity - end < chunkSize {
            let pending = end - start
            if pending > 0, start > 0 { memmove(buffer, buffer + start, pending) }
            scanned -= start
            start = 0
            end = pending
        }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 {
                end += n
                return
            }
            if n == 0 {
                atEOF = true
                return
            }
            if errno != EINTR { throw JSONLinesReaderError(path: path, errno: errno, doing: "read") }
        }
    }
}

@available(*, unavailable, message: "a reader owns a buffer and a file position; use it from one task")
extension JSONLinesReader: Sendable {}

/// A file could not be opened or read.
public struct JSONLinesReaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file concerned.
    public let path: String
    /// The POSIX error number.
    public let code: Int32
    /// What failed, e.g. `cannot open events.jsonl: No such file or directory`.
    public let message: String

    /// Describes a failed system call on `path`.
    public init(path: String, errno code: Int32, doing action: String) {
        self.path = path
        self.code = code
        self.message = "cannot \(action) \(path): \(String(cString: strerror(code)))"
    }

    /// The message.
    public var description: String { message }
}
