import Synchronization

/// A level-triggered wake-up for one waiter: any number of signals before a wait collapse into one.
///
/// Not an `AsyncStream`: cancelling a task suspended in a stream's `next()` finishes the stream for good,
/// so a timed wait built on one (cancel the reader when the timer wins) turned every later wait into an
/// immediate return — the daemon spun on a full core while idle.
struct Wakeup: Sendable {
    private final class Core: Sendable {
        struct State {
            var signalled = false
            var waiter: (ticket: UInt64, continuation: CheckedContinuation<Bool, Never>)?
            /// The latest ticket; every wait takes a new one.
            var tickets: UInt64 = 0
            /// The latest ticket whose timer or cancellation fired, possibly before its waiter parked.
            var expired: UInt64 = 0
        }

        let state = Mutex(State())

        /// Ends the wait holding `ticket` without a signal (timeout or cancellation).
        func expire(_ ticket: UInt64) {
            let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                if let w = s.waiter, w.ticket == ticket {
                    s.waiter = nil
                    return w.continuation
                }
                s.expired = max(s.expired, ticket)
                return nil
            }
            waiter?.resume(returning: false)
        }
    }

    private let core = Core()

    init() {}

    /// Wakes the waiter (or the next one).
    func signal() {
        let waiter = core.state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.signalled = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Returns `true` when signalled, `false` when cancelled.
    func waitForSignal() async -> Bool {
        await park(timeoutMilliseconds: nil) && !Task.isCancelled
    }

    /// Returns when signalled or after `milliseconds`, whichever comes first; at once when cancelled.
    func wait(milliseconds: Int64) async {
        _ = await park(timeoutMilliseconds: milliseconds)
    }

    /// Suspends until a signal (`true`), the timeout or cancellation (`false`).
    private func park(timeoutMilliseconds: Int64?) async -> Bool {
        let core = self.core
        let ticket = core.state.withLock { s -> UInt64 in
            s.tickets &+= 1
            return s.tickets
        }
        let timer = timeoutMilliseconds.map { ms in
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(1, ms)) * 1_000_000)
                core.expire(ticket)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = core.state.withLock { s -> Bool? in
                    if s.signalled {
                        s.signalled = false
                        return true
                    }
                    if s.expired >= ticket { return false }
                    // A second waiter replaces the first, which wakes (spuriously) rather than hangs.
                    let previous = s.waiter
                    s.waiter = (ticket, continuation)
                    previous?.continuation.resume(returning: false)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            core.expire(ticket)
        }
    }
}
