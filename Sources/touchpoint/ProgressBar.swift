import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line progress bar on standard error, for a long replay on a terminal: never when stderr is a
/// pipe or a file, so logs and scripts see only the summary.
final class ProgressBar: Sendable {
    /// Replays shorter than this finish before a bar would help.
    static let threshold: UInt64 = 4 << 20

    private let total: UInt64
    private let state = Mutex<(drawnAt: Double, done: Bool, drawn: Bool)>((0, false, false))

    private init(total: UInt64) { self.total = max(total, 1) }

    /// A bar for reading `files`, or `nil` when stderr is not a terminal or the files are small.
    static func forReplay(of files: [String]) -> ProgressBar? {
        guard isatty(2) == 1 else { return nil }
        let total = files.reduce(0) { $0 + size(of: $1) }
        return total >= threshold ? ProgressBar(total: total) : nil
    }

    static func size(of path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Draws `bytes` of the total read, at most ten times a second.
    func update(_ bytes: UInt64) {
        let now = Date().timeIntervalSince1970
        let draw = state.withLock { s -> Bool in
            guard !s.done, now - s.drawnAt >= 0.1 else { return false }
            s.drawnAt = now
            s.drawn = true
            return true
        }
        guard draw else { return }
        let fraction = min(1, Double(bytes) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(
            format: "\rdry-run [%@] %3d%%  %.1f of %.1f MB", bar, Int(fraction * 100), Double(bytes) / 1e6,
            Double(total) / 1e6)
        emit(line)
    }

    /// Clears the bar so another line can be printed; the next update draws it again.
    func clear() {
        let drawn = state.withLock { s -> Bool in
            defer { s.drawn = false }
            return s.drawn
        }
        if drawn { emit("\r\u{1B}[K") }
    }

    /// Clears the bar for good.
    func finish() {
        clear()
        state.withLock { $0.done = true }
    }

    private func emit(_ text: String) {
        text.withCString { ptr in _ = write(2, ptr, strlen(ptr)) }
    }
}
