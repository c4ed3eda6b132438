import Dispatch
import Synchronization

/// A bounded first-in-first-out hand-off from one producer thread to one consumer thread.
///
/// `put` blocks while `capacity` elements wait, so a slow consumer holds the producer back instead of
/// letting the queue (and memory) grow with the input.
public final class Handoff<Element: Sendable>: Sendable {
    private let available = DispatchSemaphore(value: 0)
    private let space: DispatchSemaphore
    private let queue = Mutex<[Element]>([])

    public init(capacity: Int) {
        space = DispatchSemaphore(value: max(capacity, 1))
    }

    public func put(_ element: Element) {
        space.wait()
        queue.withLock { $0.append(element) }
        available.signal()
    }

    public func take() -> Element {
        available.wait()
        let element = queue.withLock { $0.removeFirst() }
        space.signal()
        return element
    }
}
