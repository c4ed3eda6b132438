import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appends recorded events to `events/http-YYYY-MM-DD.jsonl` (the UTC day of the event) and returns only
/// once they are on disk (`fsync`), so a 2xx answer means the event survives a crash and reaches the
/// engine by the same path as every other line, the one `dry-run` replays.
///
/// Group commit: callers queue their lines and park; one writer thread takes everything queued, writes
/// it with one `write` per file and syncs once, then resumes them all. Under load one sync serves many
/// requests, and no blocking call runs on the cooperative pool.
///
/// A line whose `messageId` was written in the last few minutes is not written again (the id is derived
/// from the request: the same pixel opened twice within a minute, a retried Twilio callback), and the
/// caller hears ``Outcome/duplicate``.
public final class EventRecorder: Service, Sendable {
    /// What happened to an append.
    public enum Outcome: Sendable, Equatable {
        /// Written and synced.
        case recorded
        /// Every line was a repeat of one written moments ago; nothing was written.
        case duplicate
    }

    /// A line to record: its `messageId` (for the repeat check), its day, and its JSON text.
    public struct Line: Sendable {
        public var messageId: String
        public var at: Instant
        public var json: String

        public init(messageId: String, at: Instant, json: String) {
            self.messageId = messageId
            self.at = at
            self.json = json
        }
    }

    /// Why an append failed; the caller answers 503, and nothing was acknowledged.
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Request {
        var lines: [Line]
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Request] = []
        var stopped = false
        /// Message ids written (or being written) recently, with when.
        var recent: [String: Instant] = [:]
        var lastPrune = Instant(milliseconds: 0)
    }

    private let folder: String
    private let prefix: String
    private let logger: Logger
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    /// How long a written id keeps a repeat from being written again: longer than the minute the ids
    /// are bucketed by, so a repeat on either side of a bucket edge is still caught when its id matches.
    static let repeatWindow = TimeSpan.minutes(3)

    /// A recorder writing `prefix-YYYY-MM-DD.jsonl` files in `folder`.
    public init(folder: String, prefix: String = "http", logger: Logger) {
        self.folder = folder
        self.prefix = prefix
        self.logger = logger
    }

    /// Appends `lines` (all or none) and returns once they are synced to disk.
    public func append(_ lines: [Line]) async throws -> Outcome {
        guard !lines.isEmpty else { return .duplicate }
        return try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<Outcome, any Error>? = state.withLock { s in
                if s.stopped { return .failure(WriteError(description: "the recorder is shutting down")) }
                let fresh = lines.filter { s.recent[$0.messageId] == nil }
                guard !fresh.isEmpty else { return .success(.duplicate) }
                for line in fresh { s.recent[line.messageId] = line.at }
                s.queue.append(Request(lines: fresh, continuation: continuation))
                return nil
            }
            if let immediate {
                continuation.resume(with: immediate)
            } else {
                ready.signal()
            }
        }
    }

    /// The file a line of `at` goes to.
    public func path(for at: Instant) -> String {
        let day = ISO8601.format(Instant(seconds: at.epochSeconds / 86_400 * 86_400), offsetSeconds: 0)
            .prefix(10)
        return folder + "/" + prefix + "-" + day + ".jsonl"
    }

    /// Runs the writer thread until a graceful shutdown (or cancellation), then writes what is queued
    /// and stops.
    public func run() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            self.writeLoop()
            finished.signal()
        }
        thread.name = "touchpoint-recorder"
        thread.start()
        try? await gracefulShutdown()
        stop()
        // The writer finishes the queued lines (one sync) and exits; waited for off the pool.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                done.resume()
            }
        }
    }

    /// Refuses new appends, lets the writer finish what is queued, and ends its thread.
    public func stop() {
        state.withLock { $0.stopped = true }
        ready.signal()
    }

    private func writeLoop() {
        var files = OpenFiles(logger: logger)
        defer { files.closeAll() }
        while true {
            ready.wait()
            let (batch, stopped) = state.withLock { s in
                let q = s.queue
                s.queue.removeAll(keepingCapacity: true)
                return (q, s.stopped)
            }
            if !batch.isEmpty { write(batch, files: &files) }
            if stopped {
                let rest = state.withLock { s in
                    let q = s.queue
                    s.queue.removeAll()
                    return q
                }
                if !rest.isEmpty { write(rest, files: &files) }
                return
            }
        }
    }

    private func write(_ batch: [Request], files: inout OpenFiles) {
        var byPath: [String: [UInt8]] = [:]
        var order: [String] = []
        for request in batch {
            for line in request.lines {
                let p = path(for: line.at)
                if byPath[p] == nil { order.append(p) }
                byPath[p, default: []] += Array(line.json.utf8) + [0x0A]
            }
        }
        var failure: String?
        for p in order {
            if let error = files.append(byPath[p]!, to: p) {
                failure = error
                break
            }
        }
        let now = batch.last?.lines.last?.at ?? Instant(milliseconds: 0)
        state.withLock { s in
            if failure != nil {
                for request in batch {
                    for line in request.lines { s.recent.removeValue(forKey: line.messageId) }
                }
            }
            if now.milliseconds - s.lastPrune.milliseconds > Self.repeatWindow.milliseconds {
                s.recent = s.recent.filter {
                    now.milliseconds - $0.value.milliseconds <= Self.repeatWindow.milliseconds
                }
                s.lastPrune = now
            }
        }
        for request in batch {
            if let failure {
                request.continuation.resume(throwing: WriteError(description: failure))
            } else {
                request.continuation.resume(returning: .recorded)
            }
        }
    }

    /// Open append-only descriptors, one per day file.
    private struct OpenFiles {
        let logger: Logger
        var descriptors: [String: Int32] = [:]

        /// Writes and syncs `bytes` at the end of `path`; the error text, or `nil`.
        mutating func append(_ bytes: [UInt8], to path: String) -> String? {
            guard let fd = descriptor(for: path) else {
                return "cannot open \(path): \(String(cString: strerror(errno)))"
            }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes {
                    systemWrite(fd, $0.baseAddress! + offset, bytes.count - offset)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    return "cannot write \(path): \(String(cString: strerror(errno)))"
                }
                offset += n
            }
            if fsync(fd) != 0 { return "cannot sync \(path): \(String(cString: strerror(errno)))" }
            return nil
        }

        private mutating func descriptor(for path: String) -> Int32? {
            if let fd = descriptors[path] { return fd }
            // Yesterday's file is finished once today's opens.
            for (_, fd) in descriptors { close(fd) }
            descriptors.removeAll()
            let existed = FileManager.default.fileExists(atPath: path)
            let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return nil }
            if existed {
                // A crash mid-write can leave a partial last line; end it, so the next line is whole
                // (the partial one is then quarantined as malformed, and it was never acknowledged).
                let size = lseek(fd, 0, SEEK_END)
                if size > 0 {
                    var last: UInt8 = 0
                    if pread(fd, &last, 1, size - 1) == 1, last != 0x0A {
                        var newline: UInt8 = 0x0A
                        _ = systemWrite(fd, &newline, 1)
                        logger.warning(
                            "events file ended in a partial line; closed it", metadata: ["file": "\(path)"])
                    }
                }
            } else {
                // The new file's name must survive a crash too.
                let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
                if dir >= 0 {
                    _ = fsync(dir)
                    close(dir)
                }
            }
            descriptors[path] = fd
            return fd
        }

        mutating func closeAll() {
            for (_, fd) in descriptors { close(fd) }
            descriptors.removeAll()
        }
    }
}

/// `write(2)`, named apart from the instance methods called `write` in this file.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
