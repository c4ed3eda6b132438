import Events
import Foundation
import Store
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads new complete lines from `*.jsonl` files in the events folder, in name order, from the offsets
/// the store remembers. While a file has a backlog (more than ``backfillBytes`` unread), every file with new
/// lines gets an equal share of a batch first, so a backfill in one file does not hold back live lines
/// appended to another.
///
/// A partial last line (no newline yet) is left for the next read. Files are matched to remembered offsets
/// by identity and content (``FileTracking``): a renamed file continues where it was, a truncated or
/// rewritten one is read again from its start. Offsets move only in the batch the engine commits, so a
/// crash re-reads exactly the lines that were not committed.
struct Ingestor {
    /// One batch of input: decoded events, rejected lines, and the offsets after them.
    struct Batch {
        var events: [Event] = []
        /// Per event, where to resume to read it again: the end of the line before it (the daemon commits this
        /// offset while the event waits for the sequencer's watermark).
        var starts: [FileOffset] = []
        var rejected: [QuarantinedLine] = []
        var offsets: [String: FileOffset] = [:]
        /// Remembered paths whose offset moved to another file (a rename): deleted from the store.
        var removedOffsets: [String] = []
        var lines = 0
        /// Some file has complete lines this batch had no room for: not caught up.
        var full = false
    }

    /// Unread bytes past which a file counts as a backlog (a back-filled file, an outage's catch-up) and
    /// shares each batch with the other files instead of being read to its end first.
    static let backfillBytes: UInt64 = 1 << 20

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
        return names.filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix(".") }.sorted().map {
            folder + "/" + $0
        }
    }

    /// The files as they are now: identity and size.
    func currentFiles() -> [FileTracking.Current] {
        files().compactMap { path in
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            return FileTracking.Current(
                path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: UInt64(st.st_size))
        }
    }

    /// Reads up to `limit` lines past the remembered offsets. `now` stamps quarantined lines; an event dated
    /// after `future` is quarantined (`future-timestamp`) instead of returned.
    mutating func read(limit: Int, now: Instant, future: Instant? = nil) -> Batch {
        read(limit: limit, now: now, future: { future })
    }

    /// ``read(limit:now:future:)`` with the bound asked for once the files' sizes are known: a line written
    /// after the caller read its clock, but before the sizes were taken, is judged against a clock read after
    /// it was written (a clock read first could be older than the line by any time the writer waited).
    mutating func read(limit: Int, now: Instant, future bound: () -> Instant?) -> Batch {
        var batch = Batch()
        let current = currentFiles()
        let future = bound()
        // A file exactly as it was at the last read has nothing new, and keeps its offset without a look at
        // its bytes; only the others are matched (which reads their fingerprints).
        let changed = current.filter { file in
            guard let o = offsets[file.path], o.fingerprint != nil else { return true }
            return !(o.device == file.device && o.inode == file.inode && o.size == file.size)
        }
        guard !changed.isEmpty else { return batch }
        let unchanged = Set(current.map(\.path)).subtracting(changed.map(\.path))
        let resolution = FileTracking.resolve(
            current: changed, remembered: offsets.filter { !unchanged.contains($0.key) },
            fingerprint: Self.fingerprint(path:offset:))
        for path in resolution.moved {
            offsets[path] = nil
            batch.removedOffsets.append(path)
        }
        // Fair to every file (issue 15): a 600,000-line backfill must not hold back a line appended to another
        // file for a minute. Each file with new bytes gets an equal share of the batch first; the room the
        // others left is then filled, in name order, from the files that had more.
        let pending = changed.filter { file in
            guard let start = resolution.starts[file.path] else { return false }
            return file.size > start.offset || offsets[file.path] != start
        }
        // Only a backlog shares: below `backfillBytes` unread, files are read in name order, as a dry-run
        // reads them, so the daemon's order (and what counts as late) stays the dry-run's.
        let backlog = pending.contains { file in
            (resolution.starts[file.path].map { file.size > $0.offset ? file.size - $0.offset : 0 } ?? 0)
                > Self.backfillBytes
        }
        let share = backlog ? max(1, limit / max(1, pending.count)) : limit
        var cut: [FileTracking.Current] = []
        for file in changed {
            guard let start = resolution.starts[file.path] else { continue }
            let known = offsets[file.path]
            guard batch.lines < limit else {
                // Out of room in this batch: still remember where a file that moved or restarted begins.
                if known != start { record(start, in: &batch) }
                batch.full = true
                continue
            }
            if readFile(
                file, from: start, known: known, upTo: min(limit, batch.lines + share), into: &batch,
                now: now, future: future)
            {
                cut.append(file)
            }
        }
        for file in cut {
            guard batch.lines < limit else {
                batch.full = true
                break
            }
            guard let start = offsets[file.path] else { continue }
            if readFile(file, from: start, known: start, upTo: limit, into: &batch, now: now, future: future)
            {
                batch.full = true
            }
        }
        return batch
    }

    /// Reads `file` from `start` until the batch holds `upTo` lines or the file's complete lines end, and
    /// records where it got to. Returns whether lines were left unread because the batch reached `upTo`.
    private mutating func readFile(
        _ file: FileTracking.Current, from start: FileOffset, known: FileOffset?, upTo: Int,
        into batch: inout Batch,
        now: Instant, future: Instant?
    ) -> Bool {
        let path = file.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        // Replaced between the listing and the open: the next read sees the new file.
        guard fstat(fd, &st) == 0, UInt64(st.st_ino) == file.inode, UInt64(st.st_dev) == file.device
        else {
            return false
        }
        let size = UInt64(st.st_size)
        var position = start
        var full = false
        if size > start.offset, lseek(fd, off_t(start.offset), SEEK_SET) >= 0 {
            let reader = JSONLinesReader(
                fileDescriptor: fd, path: path, closeWhenDone: false, startOffset: start.offset,
                startLine: start.line + 1)
            while let line = try? reader.next() {
                guard line.complete else { break }  // wait for the writer to finish the line
                guard batch.lines < upTo else {
                    full = true
                    break
                }
                batch.lines += 1
                let before = position
                position.offset = line.endOffset
                position.line = line.number
                switch decoder.decode(line, file: path) {
                case nil:
                    continue
                // Issue 11/12: a date beyond the wall clock would move every customer's timers (begin).
                case .success(let event)? where future.map({ event.instant > $0 }) ?? false:
                    batch.rejected.append(
                        QuarantinedLine(
                            path: path, line: line.number,
                            reason:
                                "future-timestamp: dated \(event.timestamp.text), beyond the wall clock by more than future-skew",
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
        }
        // `size` is how far the file has been looked at: all of it, unless the batch filled up first (then
        // the rest is read next time, even if the file does not grow meanwhile).
        position.size = full ? position.offset : size
        if position.offset != start.offset || start.fingerprint == nil {
            position.fingerprint = FileFingerprint.of(fd: fd, offset: position.offset)
        }
        if position != known { record(position, in: &batch) }
        return full
    }

    private mutating func record(_ position: FileOffset, in batch: inout Batch) {
        batch.offsets[position.path] = position
        offsets[position.path] = position
    }

    /// The fingerprint of the first `offset` bytes of the file at `path`.
    static func fingerprint(path: String, offset: UInt64) -> UInt64? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return FileFingerprint.of(fd: fd, offset: offset)
    }

    /// Offsets at the end of the last complete line of every events file now, for a store that is new on
    /// purpose (`--new-store`): what is already there is not applied.
    static func endOffsets(folder: String) -> [String: FileOffset] {
        var out: [String: FileOffset] = [:]
        for file in Ingestor(folder: folder, offsets: [:]).currentFiles() {
            let fd = open(file.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            let reader = JSONLinesReader(fileDescriptor: fd, path: file.path, closeWhenDone: false)
            var end = FileOffset(
                path: file.path, offset: 0, line: 0, inode: file.inode, size: file.size, device: file.device)
            while let line = try? reader.next(), line.complete {
                end.offset = line.endOffset
                end.line = line.number
            }
            end.fingerprint = FileFingerprint.of(fd: fd, offset: end.offset)
            out[file.path] = end
        }
        return out
    }
}
