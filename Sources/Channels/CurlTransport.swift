import CCurl
import Foundation

/// Runs libcurl transfers on one multi handle driven by a dedicated thread, never the cooperative pool.
///
/// Async callers submit a ``TransferRequest`` and await its ``TransferResult``; the multi handle keeps
/// connections open between transfers, so a stream of messages to one peer reuses one connection.
/// Cancelling the awaiting task cuts its transfer short (a shutdown must not wait out a slow peer): it
/// ends as aborted, with ``TransferResult/bodyStarted`` telling whether the request had gone out.
public final class CurlTransport: Sendable {
    struct Submission: Sendable {
        let id: UInt64
        let request: TransferRequest
        let continuation: UnsafeContinuation<TransferResult, Never>
    }

    struct Shared: Sendable {
        var pending: [Submission] = []
        /// Submissions whose callers were cancelled; the thread aborts them.
        var cancelled: Set<UInt64> = []
        var lastId: UInt64 = 0
        var stopping = false
        /// Set by the thread just before it frees the multi handle; nobody may wake it after that.
        var closed = false
    }

    private let shared: Locked<Shared>
    private let multi: MultiHandle

    /// A process-wide transport, started on first use. Share it only between adapters with the same TLS
    /// settings (see ``AdapterRegistry/make(kind:options:transport:)``).
    public static let shared = CurlTransport()

    /// Starts the transport thread. `maxConnections` bounds the connection cache.
    public init(maxConnections: Int = 64) {
        Curl.initialise()
        guard let raw = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        _ = tp_curl_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, maxConnections)
        multi = MultiHandle(raw: raw)
        let shared = Locked(Shared())
        self.shared = shared
        let multi = self.multi
        let thread = Thread { TransportLoop(multi: multi, shared: shared).run() }
        thread.name = "touchpoint.curl"
        thread.start()
    }

    /// Runs one transfer and returns what happened; never throws.
    public func perform(_ request: TransferRequest) async -> TransferResult {
        let shared = self.shared
        let multi = self.multi
        let id = shared.withLock { s -> UInt64 in
            s.lastId &+= 1
            return s.lastId
        }
        // Unsafe, not checked: the transport thread resumes each continuation exactly once (when its transfer
        // ends, is cancelled or the transport closes), and the checked variant costs an allocation per transfer.
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let refusal = shared.withLock { s -> String? in
                    guard !s.stopping else { return "transport shut down" }
                    // Cancelled before it was submitted: the cancellation handler already ran.
                    guard !Task.isCancelled else { return "cancelled before it was sent" }
                    // Only the first submission since the thread last drained the queue needs to wake it; the
                    // others ride on that wake-up (one syscall per batch instead of one per transfer).
                    let wake = s.pending.isEmpty
                    s.pending.append(Submission(id: id, request: request, continuation: continuation))
                    // Woken under the lock so the thread cannot free the handle in between.
                    if wake { _ = curl_multi_wakeup(multi.raw) }
                    return nil
                }
                if let refusal {
                    continuation.resume(
                        returning: TransferResult(curlCode: TransferResult.abortedCode, errorText: refusal))
                }
            }
        } onCancel: {
            shared.withLock { s in
                s.cancelled.insert(id)
                if !s.closed { _ = curl_multi_wakeup(multi.raw) }
            }
        }
    }

    /// Stops the thread; transfers in flight end as aborted.
    public func shutdown() {
        shared.withLock { s in
            s.stopping = true
            if !s.closed { _ = curl_multi_wakeup(multi.raw) }
        }
    }

    deinit { shutdown() }
}

/// The multi handle's address, shared with submitting threads.
struct MultiHandle: @unchecked Sendable {
    // Sendable because other threads only call curl_multi_wakeup (documented thread-safe), under the
    // transport lock; everything else happens on the transport thread.
    let raw: UnsafeMutableRawPointer
}
