import Dispatch
import Foundation

/// Runs the file adapter's blocking writes and renames on threads of its own, never the cooperative pool:
/// a pool thread stuck in `write(2)` or `rename(2)` is one the ingestor and the dispatcher cannot use, and on
/// a 2-core machine the pool has two.
///
/// Jobs run in submission order on `threads` threads; the process-wide ``shared`` one starts on first use
/// and lives as long as the process.
public final class FileWriter: Sendable {
    private let queue = Locked<[@Sendable () -> Void]>([])
    /// Counts queued jobs: each submission signals once, each thread waits once per job it takes.
    private let ready = DispatchSemaphore(value: 0)

    /// The key a writer thread's `threadDictionary` holds its name under (its `name` does not reach the
    /// kernel on Linux): how a caller can tell it runs there.
    static let marker = "touchpoint.fileWriter"

    /// Whether the calling thread is one of the writer threads.
    static var onWriterThread: Bool { Thread.current.threadDictionary[marker] != nil }

    /// Two threads: one write can wait on the disk while the other goes on.
    public static let shared = FileWriter(threads: 2)

    /// Starts `threads` writer threads, which never stop: make one per process (``shared``).
    init(threads: Int) {
        for index in 0..<max(1, threads) {
            let queue = self.queue
            let ready = self.ready
            let name = "touchpoint.fw.\(index)"
            let thread = Thread {
                Thread.current.threadDictionary[FileWriter.marker] = name
                while true {
                    ready.wait()
                    let job = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                    job?()
                }
            }
            thread.name = name
            thread.start()
        }
    }

    /// Runs `work` on a writer thread and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        // Unsafe, not checked: the job resumes its continuation exactly once, and the checked variant costs an
        // allocation per write.
        await withUnsafeContinuation { continuation in
            queue.withLock { $0.append { continuation.resume(returning: work()) } }
            ready.signal()
        }
    }
}
