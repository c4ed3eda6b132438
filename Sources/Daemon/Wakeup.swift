/// A level-triggered wake-up: any number of signals before a wait collapse into one.
struct Wakeup: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the waiter (or the next one).
    func signal() { continuation.yield() }

    /// Returns `true` when signalled, `false` when cancelled.
    func waitForSignal() async -> Bool {
        var it = stream.makeAsyncIterator()
        return await it.next() != nil && !Task.isCancelled
    }

    /// Returns when signalled or after `milliseconds`, whichever comes first; at once when cancelled.
    func wait(milliseconds: Int64) async {
        let stream = self.stream
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var it = stream.makeAsyncIterator()
                _ = await it.next()
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(1, milliseconds)) * 1_000_000)
            }
            await group.next()
            group.cancelAll()
        }
    }
}
