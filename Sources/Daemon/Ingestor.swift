#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Events
import Foundation
import Store
import TouchpointCore

/// Reads new complete lines from `*.jsonl` files in the events folder, in name order, from the offsets
/// the store remembers.
///
/// A partial last line (no newline yet) is left for the next read. A file whose inode changed (rotated)
/// or that shrank below the remembered offset (truncated) is read again from the start. Offsets move only
/// in the batch the engine commits, so a crash re-reads exactly the lines that were not committed.
struct Ingestor {
    /// One batch of input: decoded events, rejected lines, and the offsets after them.
    struct Batch {
        var events: [Event] = []
        /// Per event, where to resume to read it again: the end of the line before it (the daemon commits this
        /// offset while the event waits for the sequencer's watermark).
        var starts: [FileOffset] = []
        var rejected: [QuarantinedLine] = []
        var offsets: [String: FileOffset] = [:]
        var lines = 0
    }

    let folder: String
    private(set) var offsets: [String: FileOffset]
    private let decoder = EventDecoder()

    init(folder: String, offsets: [String: FileOffset]) {
        self.folder = folder
        self.offsets = offsets
    }

    /// The `*.jsonl` files in the folder, in name order.
    func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix(".") }.sorted().map { folder + "/" + $0 }
    }

    /// Reads up to `limit` lines past the remembered offsets. `now` stamps quarantined lines; an event dated
    /// after `future` is quarantined (`future-timestamp`) instead of returned.
    mutating func read(limit: Int, now: Instant, future: Instant? = nil) -> Batch {
        var batch = Batch()
        for path in files() {
            guard batch.lines < limit else { break }
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            let inode = UInt64(st.st_ino)
            let size = UInt64(st.st_size)
            var start = offsets[path] ?? FileOffset(path: path, offset: 0, line: 0, inode: inode, size: 0)
            if start.inode != inode || size < start.offset {
                // Rotated or truncated: a new file under the old name.
                start = FileOffset(path: path, offset: 0, line: 0, inode: inode, size: 0)
            }
            guard size > start.offset else { continue }
            guard let reader = try? JSONLinesReader(path: path, startOffset: start.offset, startLine: start.line + 1)
            else { continue }
            var position = start
            while batch.lines < limit, let line = try? reader.next() {
                guard line.complete else { break }  // wait for the writer to finish the line
                batch.lines += 1
                let before = position
                position = FileOffset(path: path, offset: line.endOffset, line: line.number, inode: inode, size: size)
                switch decoder.decode(line, file: path) {
                case nil:
                    continue
                // Issue 12: a date beyond the wall clock would move every customer's timers (begin).
                case .success(let event)? where future.map({ event.instant > $0 }) ?? false:
                    batch.rejected.append(
                        QuarantinedLine(
                            path: path, line: line.number,
                            reason: "future-timestamp: dated \(event.timestamp.text), beyond the wall clock by more than future-skew",
                            raw: Data(Array(line.bytes)), at: now))
                // (end)
                case .success(let event)?:
                    batch.events.append(event)
                    batch.starts.append(before)
                case .failure(let rejection)?:
                    batch.rejected.append(
                        QuarantinedLine(
                            path: path, line: line.number, reason: rejection.reason,
                            raw: Data(line.tooLong ? [] : Array(line.bytes)), at: now))
                }
            }
            if position != start || offsets[path] == nil || offsets[path]?.inode != inode {
                batch.offsets[path] = position
                offsets[path] = position
            }
        }
        return batch
    }
}
