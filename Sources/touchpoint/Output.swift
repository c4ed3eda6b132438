#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered writes to stdout / stderr: dry-run prints a line per message and must not flush each one.
struct Output {
    private var buffer: [UInt8] = []
    private let fd: Int32

    static func stdout() -> Output { Output(fd: 1) }

    private init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Lets `write` append one line's bytes straight into the buffer, then ends the line.
    mutating func line(_ write: (inout [UInt8]) -> Void) {
        write(&buffer)
        buffer.append(10)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { break }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
}

/// Writes one line to standard error at once.
func printError(_ s: String) {
    var line = s
    line += "\n"
    line.withCString { ptr in _ = write(2, ptr, strlen(ptr)) }
}
