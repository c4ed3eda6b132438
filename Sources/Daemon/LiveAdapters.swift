import Synchronization

/// The adapters the dispatcher sends through, replaced when a reload succeeds: the pipeline builds them from
/// the new config, the dispatcher reads them at each send (so a changed endpoint applies to queued messages).
final class LiveAdapters: Sendable {
    private let state: Mutex<(adapters: Adapters, generation: Int)>

    init(_ adapters: Adapters) { state = Mutex((adapters, 0)) }

    /// The current adapters and how many times they were replaced.
    var current: (adapters: Adapters, generation: Int) { state.withLock { $0 } }

    /// Installs the adapters of a reloaded config.
    func replace(with adapters: Adapters) {
        state.withLock { $0 = (adapters, $0.generation + 1) }
    }
}
