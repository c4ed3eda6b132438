import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which events file continues which remembered offset, by identity and content rather than by name.
///
/// A name alone lost and doubled lines: a file truncated and rewritten with more bytes than the stored
/// offset was resumed mid-file (a line lost, a fragment quarantined), and `a.jsonl` renamed to
/// `a-2026-12-02.jsonl` was read again from its start as a new file (events without a `messageId` applied
/// twice). So each offset keeps the file's device and inode and a fingerprint of the bytes before it
/// (``FileFingerprint``), and every read matches files to offsets in three passes:
///
/// 1. a file continues its own path's offset when it is the same file (device, inode) with the same bytes
///    before the offset;
/// 2. a file takes over another path's offset when it is that file under a new name (same device and inode,
///    same bytes): a rename;
/// 3. a file takes over an offset no file continues (its file is gone, truncated or rewritten) when its own
///    bytes up to that offset have the same fingerprint: a copy (`copytruncate`), complete when first seen.
///
/// Any other file is read from its start. Pure: the fingerprints come from the `fingerprint` function.
enum FileTracking {
    /// An events file as it is now.
    struct Current: Sendable, Hashable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var size: UInt64
    }

    /// Where each current file starts, and the remembered paths whose offsets moved to another file.
    struct Resolution: Sendable, Hashable {
        /// Start position per current path (a fresh position at 0 for a new file).
        var starts: [String: FileOffset] = [:]
        /// Remembered paths that no file continues any more because another file took their offset over.
        var moved: [String] = []
    }

    /// Matches `current` files to the `remembered` offsets; `fingerprint(path, offset)` is the fingerprint
    /// of the first `offset` bytes of the current file at `path` (`nil` when it cannot be read that far).
    static func resolve(
        current: [Current], remembered: [String: FileOffset], fingerprint: (String, UInt64) -> UInt64?
    ) -> Resolution {
        var out = Resolution()
        var free = remembered
        func matches(_ file: Current, _ offset: FileOffset) -> Bool {
            guard file.size >= offset.offset else { return false }
            // An offset written before fingerprints were kept is trusted on its identity, as it used to be.
            guard let expected = offset.fingerprint else { return true }
            return fingerprint(file.path, offset.offset) == expected
        }
        func take(_ file: Current, _ offset: FileOffset) {
            free[offset.path] = nil
            if offset.path != file.path { out.moved.append(offset.path) }
            var start = offset
            start.device = file.device
            start.inode = file.inode
            if offset.path != file.path {
                start.path = file.path
                // Nothing of the new name has been looked at past the offset yet.
                start.size = offset.offset
            }
            out.starts[file.path] = start
        }
        var waiting: [Current] = []
        for file in current {
            if let own = free[file.path], own.device == file.device || own.device == 0,
                own.inode == file.inode,
                matches(file, own)
            {
                take(file, own)
            } else {
                waiting.append(file)
            }
        }
        var unmatched: [Current] = []
        for file in waiting {
            if let renamed = free.values.sorted(by: { $0.path < $1.path }).first(where: {
                ($0.device == file.device || $0.device == 0) && $0.inode == file.inode && matches(file, $0)
            }) {
                take(file, renamed)
            } else {
                unmatched.append(file)
            }
        }
        for file in unmatched {
            if let copied = free.values.sorted(by: { $0.path < $1.path }).first(where: {
                $0.offset > 0 && $0.fingerprint != nil && matches(file, $0)
            }) {
                take(file, copied)
            } else {
                out.starts[file.path] = FileOffset(
                    path: file.path, offset: 0, line: 0, inode: file.inode, size: 0, device: file.device,
                    fingerprint: FileFingerprint.empty)
            }
        }
        // A path whose offset went to another file and that no current file took afresh is forgotten.
        out.moved = out.moved.filter { out.starts[$0] == nil }.sorted()
        return out
    }
}

/// A 64-bit fingerprint of a file's first `offset` bytes: FNV-1a over the first 4 KiB and the last 4 KiB
/// before the offset (all of it below 8 KiB), and the offset itself. Two reads, whatever the file's size.
enum FileFingerprint {
    /// The fingerprint at offset 0.
    static let empty: UInt64 = mix(0xcbf2_9ce4_8422_2325, offset: 0)
    static let window = 4096

    /// The fingerprint of the first `offset` bytes of the open file `fd`; `nil` when it is shorter.
    static func of(fd: Int32, offset: UInt64) -> UInt64? {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let head = Int(min(offset, UInt64(window)))
        let tailStart = max(UInt64(head), offset >= UInt64(window) ? offset - UInt64(window) : 0)
        var buffer = [UInt8](repeating: 0, count: window)
        for (start, count) in [(UInt64(0), head), (tailStart, Int(offset - tailStart))] where count > 0 {
            var done = 0
            while done < count {
                let n = buffer.withUnsafeMutableBytes {
                    pread(fd, $0.baseAddress! + done, count - done, off_t(start) + off_t(done))
                }
                if n <= 0 { return nil }
                done += n
            }
            for b in buffer[..<count] {
                hash ^= UInt64(b)
                hash = hash &* 0x100_0000_01b3
            }
        }
        return mix(hash, offset: offset)
    }

    private static func mix(_ hash: UInt64, offset: UInt64) -> UInt64 {
        var h = hash
        for shift in stride(from: 0, to: 64, by: 8) {
            h ^= (offset >> UInt64(shift)) & 0xFF
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
