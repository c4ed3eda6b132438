import Foundation
import Store
import Testing
import TouchpointCore

@testable import Daemon

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12 #10–11 at the reader: real files renamed, copied, truncated and rewritten between reads.
@Suite("Events files are tracked by identity and content, not by name")
struct FileTrackingTests {
    /// A scratch events folder.
    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tp-files-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func write(_ name: String, _ lines: [String]) throws {
            try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url.appendingPathComponent(name))
        }
        func append(_ name: String, _ lines: [String]) throws {
            let handle = try FileHandle(forWritingTo: url.appendingPathComponent(name))
            defer { try? handle.close() }
            handle.seekToEndOfFile()
            handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        }
        /// Truncates in place (same inode) and writes `lines`.
        func rewrite(_ name: String, _ lines: [String]) throws {
            let handle = try FileHandle(forWritingTo: url.appendingPathComponent(name))
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        }
        func rename(_ from: String, _ to: String) throws {
            #expect(Glibc.rename(path(from), path(to)) == 0)
        }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static func line(_ user: String) -> String {
        #"{"type":"identify","userId":""# + user + #"","timestamp":"2026-11-20T10:00:00Z"}"#
    }

    static func users(_ batch: Ingestor.Batch) -> [String] { batch.events.map(\.userId) }

    @Test(
        "a file renamed to another *.jsonl name continues where it was; the new file under the old name is read from its start"
    )
    func renameContinues() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2"), Self.line("u3")])
        var ingestor = Ingestor(folder: folder.url.path, offsets: [:])
        #expect(Self.users(ingestor.read(limit: 100, now: Instant(milliseconds: 0))) == ["u1", "u2", "u3"])
        try folder.rename("a.jsonl", "a-2026-12-02.jsonl")
        try folder.append("a-2026-12-02.jsonl", [Self.line("u4")])
        try folder.write("a.jsonl", [Self.line("u5"), Self.line("u6")])
        let next = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(Self.users(next) == ["u4", "u5", "u6"])
        #expect(next.rejected.isEmpty)
        #expect(next.offsets[folder.path("a-2026-12-02.jsonl")]?.line == 4)
        #expect(next.offsets[folder.path("a.jsonl")]?.line == 2)
        #expect(next.removedOffsets.isEmpty, "a.jsonl names a new file, whose offset replaces the old one")
        #expect(ingestor.read(limit: 100, now: Instant(milliseconds: 0)).events.isEmpty)
    }

    @Test(
        "a rename to a name sorting after the old one, with no new file, reads nothing again and forgets the old name"
    )
    func renameForward() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2")])
        var ingestor = Ingestor(folder: folder.url.path, offsets: [:])
        _ = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        try folder.rename("a.jsonl", "z.jsonl")
        let next = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(next.events.isEmpty)
        #expect(next.removedOffsets == [folder.path("a.jsonl")])
        #expect(next.offsets[folder.path("z.jsonl")]?.line == 2)
        #expect(ingestor.offsets[folder.path("a.jsonl")] == nil)
    }

    @Test(
        "the same, across a restart: the offsets come back from the store and the renamed file still continues"
    )
    func renameAcrossRestart() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("store.sqlite"))
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2")])
        var first = Ingestor(folder: folder.url.path, offsets: [:])
        let batch = first.read(limit: 100, now: Instant(milliseconds: 0))
        try await store.commit(Batch(offsets: Array(batch.offsets.values)))
        try folder.rename("a.jsonl", "a-1.jsonl")
        try folder.append("a-1.jsonl", [Self.line("u3")])
        var second = Ingestor(folder: folder.url.path, offsets: try await store.load().offsets)
        let next = second.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(Self.users(next) == ["u3"])
        try await store.commit(
            Batch(offsets: Array(next.offsets.values), removedOffsets: next.removedOffsets))
        #expect(try await store.load().offsets.keys.sorted() == [folder.path("a-1.jsonl")])
    }

    @Test(
        "a file truncated and rewritten with more bytes than the stored offset is read again from its start: no line lost, no fragment"
    )
    func rewriteRestarts() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2")])
        var ingestor = Ingestor(folder: folder.url.path, offsets: [:])
        _ = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        try folder.rewrite("a.jsonl", [Self.line("v1-longer"), Self.line("v2"), Self.line("v3")])
        let next = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(Self.users(next) == ["v1-longer", "v2", "v3"])
        #expect(next.rejected.isEmpty)
    }

    @Test(
        "rotation by copy and truncate: the copy continues at the offset, the truncated original starts over")
    func copyTruncate() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2")])
        var ingestor = Ingestor(folder: folder.url.path, offsets: [:])
        _ = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        try folder.append("a.jsonl", [Self.line("u3")])
        try FileManager.default.copyItem(atPath: folder.path("a.jsonl"), toPath: folder.path("a.1.jsonl"))
        try folder.rewrite("a.jsonl", [Self.line("u4")])
        let next = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(Self.users(next) == ["u3", "u4"])
    }

    @Test("a batch that fills up mid-file goes on from there at the next read, though the file did not grow")
    func fullBatchContinues() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", (1...5).map { Self.line("u\($0)") })
        var ingestor = Ingestor(folder: folder.url.path, offsets: [:])
        #expect(Self.users(ingestor.read(limit: 2, now: Instant(milliseconds: 0))) == ["u1", "u2"])
        #expect(Self.users(ingestor.read(limit: 2, now: Instant(milliseconds: 0))) == ["u3", "u4"])
        #expect(Self.users(ingestor.read(limit: 2, now: Instant(milliseconds: 0))) == ["u5"])
        #expect(ingestor.read(limit: 2, now: Instant(milliseconds: 0)).events.isEmpty)
    }

    @Test("an offset stored before fingerprints were kept resumes where it was, and gains a fingerprint")
    func legacyOffsetResumes() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write("a.jsonl", [Self.line("u1"), Self.line("u2")])
        var st = stat()
        #expect(stat(folder.path("a.jsonl"), &st) == 0)
        let firstLine = UInt64(Self.line("u1").utf8.count + 1)
        let legacy = FileOffset(
            path: folder.path("a.jsonl"), offset: firstLine, line: 1, inode: UInt64(st.st_ino),
            size: firstLine)
        var ingestor = Ingestor(folder: folder.url.path, offsets: [legacy.path: legacy])
        let batch = ingestor.read(limit: 100, now: Instant(milliseconds: 0))
        #expect(Self.users(batch) == ["u2"])
        #expect(batch.offsets[legacy.path]?.fingerprint != nil)
        #expect(batch.offsets[legacy.path]?.device == UInt64(st.st_dev))
    }

    @Test("the fingerprint reads only the first and last 4 KiB before the offset, and changes with either")
    func fingerprintWindows() throws {
        let folder = try Folder()
        defer { folder.remove() }
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 20_000)
        try Data(bytes).write(to: folder.url.appendingPathComponent("f"))
        let base = try #require(Ingestor.fingerprint(path: folder.path("f"), offset: 20_000))
        #expect(Ingestor.fingerprint(path: folder.path("f"), offset: 19_999) != base)
        #expect(
            Ingestor.fingerprint(path: folder.path("f"), offset: 20_001) == nil, "shorter than the offset")
        bytes[10_000] = UInt8(ascii: "y")
        try Data(bytes).write(to: folder.url.appendingPathComponent("f"))
        #expect(
            Ingestor.fingerprint(path: folder.path("f"), offset: 20_000) == base, "the middle is not read")
        bytes[100] = UInt8(ascii: "y")
        try Data(bytes).write(to: folder.url.appendingPathComponent("f"))
        #expect(Ingestor.fingerprint(path: folder.path("f"), offset: 20_000) != base)
        bytes[100] = UInt8(ascii: "x")
        bytes[19_000] = UInt8(ascii: "y")
        try Data(bytes).write(to: folder.url.appendingPathComponent("f"))
        #expect(Ingestor.fingerprint(path: folder.path("f"), offset: 20_000) != base)
    }
}
