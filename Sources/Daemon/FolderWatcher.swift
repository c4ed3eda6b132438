import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes the pipeline when files in the watched folders change: inotify on Linux, on a dedicated thread
/// (its blocking `poll` must not sit on Swift's cooperative pool). Where inotify is unavailable the
/// pipeline's own polling interval still finds new lines.
final class FolderWatcher {
    /// Set to stop the watcher thread.
    private final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

    private let stopFlag = StopFlag()

    /// Watches `folders`, calling `wakeup.signal()` on every change; `nil` when inotify is unavailable.
    init?(folders: [String], wakeup: Wakeup) {
        #if canImport(Glibc)
            let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard fd >= 0 else { return nil }
            let mask = UInt32(
                IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)
            var watched = 0
            for folder in folders where inotify_add_watch(fd, folder, mask) >= 0 { watched += 1 }
            guard watched > 0 else {
                close(fd)
                return nil
            }
            let flag = stopFlag
            let thread = Thread {
                defer { close(fd) }
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let r = poll(&pfd, 1, 500)
                    if r < 0 && errno != EINTR { return }
                    if flag.stopped.load(ordering: .relaxed) { return }
                    if r > 0 {
                        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                        if n > 0 { wakeup.signal() }
                    }
                }
            }
            thread.name = "touchpoint-inotify"
            thread.start()
        #else
            return nil
        #endif
    }

    /// Stops the watcher thread (it notices within half a second) and closes the descriptor after it.
    func stop() {
        stopFlag.stopped.store(true, ordering: .relaxed)
    }

    deinit {
        stop()
    }
}
