import CCurl
import Foundation

/// The transport thread's state: the multi handle, its transfers in flight and idle easy handles.
/// Lives and dies on that one thread.
final class TransportLoop {
    private let multi: UnsafeMutableRawPointer
    private let shared: Locked<CurlTransport.Shared>
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idle: [UnsafeMutableRawPointer] = []

    init(multi: MultiHandle, shared: Locked<CurlTransport.Shared>) {
        self.multi = multi.raw
        self.shared = shared
    }

    func run() {
        var running: Int32 = 0
        while true {
            let (batch, cancelled, stop) = shared.withLock {
                s -> ([CurlTransport.Submission], Set<UInt64>, Bool) in
                let batch = s.pending
                s.pending.removeAll(keepingCapacity: true)
                let cancelled = s.cancelled
                if !cancelled.isEmpty { s.cancelled.removeAll() }
                if s.stopping { s.closed = true }
                return (batch, cancelled, s.stopping)
            }
            if stop {
                close(failing: batch)
                return
            }
            for submission in batch {
                if cancelled.contains(submission.id) {
                    submission.continuation.resume(
                        returning: TransferResult(
                            curlCode: TransferResult.abortedCode, errorText: "cancelled before it was sent"))
                } else {
                    start(submission)
                }
            }
            if !cancelled.isEmpty { abort(cancelled) }
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func start(_ submission: CurlTransport.Submission) {
        let easy: UnsafeMutableRawPointer
        if let reused = idle.popLast() {
            curl_easy_reset(reused)
            easy = reused
        } else if let fresh = curl_easy_init() {
            easy = fresh
        } else {
            submission.continuation.resume(
                returning: TransferResult(curlCode: 27, errorText: "curl_easy_init failed"))
            return
        }
        let transfer = Transfer(submission)
        transfer.configure(easy)
        active[easy] = transfer
        let added = curl_multi_add_handle(multi, easy)
        if added != CURLM_OK {
            active[easy] = nil
            idle.append(easy)
            submission.continuation.resume(
                returning: TransferResult(
                    curlCode: 27,
                    errorText: "curl_multi_add_handle: \(String(cString: curl_multi_strerror(added)))"))
        }
    }

    private func collectFinished() {
        var easy: UnsafeMutableRawPointer? = nil
        var code = CURLE_OK
        while tp_curl_multi_next_done(multi, &easy, &code) == 1 {
            guard let handle = easy, let transfer = active.removeValue(forKey: handle) else { continue }
            let result = transfer.result(handle, code: code)
            _ = curl_multi_remove_handle(multi, handle)
            idle.append(handle)
            transfer.continuation.resume(returning: result)
        }
    }

    /// Cuts the transfers of cancelled callers short; ids already finished are ignored.
    private func abort(_ ids: Set<UInt64>) {
        for (handle, transfer) in active where ids.contains(transfer.id) {
            active[handle] = nil
            // Whether the body had started going out decides between retry and ambiguous.
            var result = TransferResult(
                curlCode: TransferResult.abortedCode, errorText: "cut short: shutting down")
            result.bodyStarted = transfer.bodyStarted(handle)
            _ = curl_multi_remove_handle(multi, handle)
            // Not reused: the connection may be half-way through a request.
            curl_easy_cleanup(handle)
            transfer.continuation.resume(returning: result)
        }
    }

    private func close(failing batch: [CurlTransport.Submission]) {
        let aborted = TransferResult(curlCode: TransferResult.abortedCode, errorText: "transport shut down")
        for submission in batch { submission.continuation.resume(returning: aborted) }
        for (handle, transfer) in active {
            // Whether the body had started going out decides between retry and ambiguous.
            var result = aborted
            result.bodyStarted = transfer.bodyStarted(handle)
            _ = curl_multi_remove_handle(multi, handle)
            curl_easy_cleanup(handle)
            transfer.continuation.resume(returning: result)
        }
        active.removeAll()
        for handle in idle { curl_easy_cleanup(handle) }
        idle.removeAll()
        curl_multi_cleanup(multi)
    }
}
