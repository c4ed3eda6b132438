import Foundation
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `.touchpoint-store` in the events folder: which store has read this folder, and since when.
///
/// It outlives the store, which is the point: a store deleted (with its offsets) leaves this behind, so a
/// daemon that finds a new, empty store here can tell "a lost store" (refuse, or every event is applied and
/// every message sent again) from "a first start on existing events" (apply them). Hidden and not
/// `*.jsonl`, so the ingestor never reads it.
enum ReadMarker {
    static let name = ".touchpoint-store"

    /// `store /path/state.sqlite since 2026-12-02T10:00:00Z`, or `nil` when no store has read the folder.
    static func read(folder: String) -> String? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "by an earlier store" : text
    }

    /// Records that `store` reads `folder` (created `0600`); keeps an existing marker of the same store.
    static func record(folder: String, store: String, at now: Instant) {
        let line = "store \(store) since \(ISO8601.format(now, offsetSeconds: 0))"
        if let existing = read(folder: folder), existing.hasPrefix("store \(store) since ") { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
