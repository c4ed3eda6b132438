import Foundation
import Testing

@testable import Events

/// A temporary file that is removed when the test ends.
private final class TempFile {
    let path: String

    init(_ bytes: [UInt8]) throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("events-\(UUID().uuidString).jsonl").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    convenience init(_ text: String) throws { try self.init(Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A line copied out of the reader's buffer.
private struct ReadLine: Equatable {
    var text: String
    var number: Int
    var startOffset: UInt64
    var endOffset: UInt64
    var complete = true
    var tooLong = false
}

private func readAll(_ reader: JSONLinesReader) throws -> [ReadLine] {
    var out: [ReadLine] = []
    while let line = try reader.next() {
        out.append(
            ReadLine(
                text: String(decoding: line.bytes, as: UTF8.self), number: line.number,
                startOffset: line.startOffset,
                endOffset: line.endOffset, complete: line.complete, tooLong: line.tooLong))
    }
    return out
}

private func readAll(
    _ file: TempFile, startOffset: UInt64 = 0, startLine: Int = 1,
    chunkSize: Int = JSONLinesReader.defaultChunkSize,
    maximumLineLength: Int = JSONLinesReader.defaultMaximumLineLength
) throws -> [ReadLine] {
    let reader = try JSONLinesReader(
        path: file.path, startOffset: startOffset, startLine: startLine, chunkSize: chunkSize,
        maximumLineLength: maximumLineLength)
    return try readAll(reader)
}

@Suite("JSON Lines reader")
struct JSONLinesReaderTests {
    @Test("splits on newlines with 1-based numbers and resume offsets")
    func basicLines() throws {
        let file = try TempFile("{\"a\":1}\n\n{\"b\":2}\n")
        #expect(
            try readAll(file) == [
                ReadLine(text: "{\"a\":1}", number: 1, startOffset: 0, endOffset: 8),
                ReadLine(text: "", number: 2, startOffset: 8, endOffset: 9),
                ReadLine(text: "{\"b\":2}", number: 3, startOffset: 9, endOffset: 17),
            ])
    }

    @Test("returns nothing for an empty file")
    func emptyFile() throws {
        let file = try TempFile("")
        #expect(try readAll(file).isEmpty)
    }

    @Test("drops the carriage return of CRLF line ends but counts it in offsets")
    func crlf() throws {
        let file = try TempFile("a\r\nbc\r\n\r\n")
        #expect(
            try readAll(file) == [
                ReadLine(text: "a", number: 1, startOffset: 0, endOffset: 3),
                ReadLine(text: "bc", number: 2, startOffset: 3, endOffset: 7),
                ReadLine(text: "", number: 3, startOffset: 7, endOffset: 9),
            ])
    }

    @Test("returns a last line without newline marked incomplete")
    func noTrailingNewline() throws {
        let file = try TempFile("a\nbcd")
        #expect(
            try readAll(file) == [
                ReadLine(text: "a", number: 1, startOffset: 0, endOffset: 2),
                ReadLine(text: "bcd", number: 2, startOffset: 2, endOffset: 5, complete: false),
            ])
    }

    @Test("skips a byte order mark at the start of the file, keeping offsets in file bytes")
    func byteOrderMark() throws {
        let file = try TempFile([0xEF, 0xBB, 0xBF] + Array("{}\nx\n".utf8))
        #expect(
            try readAll(file) == [
                ReadLine(text: "{}", number: 1, startOffset: 3, endOffset: 6),
                ReadLine(text: "x", number: 2, startOffset: 6, endOffset: 8),
            ])
        let onlyBOM = try TempFile([0xEF, 0xBB, 0xBF])
        #expect(try readAll(onlyBOM).isEmpty)
    }

    @Test("keeps lines intact across chunk boundaries in a file larger than the default chunk")
    func largeFileAcrossChunks() throws {
        var text = ""
        var expected: [String] = []
        var i = 0
        // ~2.6 MiB of lines of varying length, so lines straddle both 1 MiB chunk boundaries.
        while text.utf8.count < 2_700_000 {
            let line = #"{"type":"track","n":\#(i),"pad":"\#(String(repeating: "x", count: i % 97))"}"#
            expected.append(line)
            text += line + (i % 3 == 0 ? "\r\n" : "\n")
            i += 1
        }
        let file = try TempFile(text)
        let lines = try readAll(file)
        #expect(lines.map(\.text) == expected)
        #expect(lines.map(\.number) == Array(1...expected.count))
        #expect(lines.last?.endOffset == UInt64(text.utf8.count))
        // Each line starts where the one before it ended.
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.endOffset == $1.startOffset })
    }

    @Test("reads correctly with tiny chunks, where nearly every line straddles a boundary")
    func tinyChunks() throws {
        let text = "alpha\nbe\r\n\ngamma-delta-epsilon\nz"
        let file = try TempFile(text)
        for chunk in [1, 2, 3, 7] {
            let lines = try readAll(file, chunkSize: chunk, maximumLineLength: 64)
            #expect(lines.map(\.text) == ["alpha", "be", "", "gamma-delta-epsilon", "z"], "chunk \(chunk)")
            #expect(lines.map(\.endOffset) == [6, 10, 11, 31, 32], "chunk \(chunk)")
            #expect(lines.last?.complete == false)
        }
    }

    @Test("resumes at a saved offset and line number")
    func resume() throws {
        let file = try TempFile("one\ntwo\nthree\n")
        let reader = try JSONLinesReader(path: file.path)
        _ = try reader.next()
        let second = try #require(try reader.next())
        #expect(reader.offset == second.endOffset)
        #expect(reader.nextLineNumber == 3)
        let rest = try readAll(file, startOffset: second.endOffset, startLine: reader.nextLineNumber)
        #expect(rest == [ReadLine(text: "three", number: 3, startOffset: 8, endOffset: 14)])
    }

    @Test("reports over-long lines without their bytes and carries on")
    func tooLong() throws {
        let long = String(repeating: "y", count: 100)
        let file = try TempFile("short\n\(long)\nok\n\(long)")
        for chunk in [4, 1024] {
            let lines = try readAll(file, chunkSize: chunk, maximumLineLength: 10)
            #expect(
                lines == [
                    ReadLine(text: "short", number: 1, startOffset: 0, endOffset: 6),
                    ReadLine(text: "", number: 2, startOffset: 6, endOffset: 107, tooLong: true),
                    ReadLine(text: "ok", number: 3, startOffset: 107, endOffset: 110),
                    ReadLine(
                        text: "", number: 4, startOffset: 110, endOffset: 210, complete: false, tooLong: true),
                ], "chunk \(chunk)")
        }
    }

    @Test("lets the decoder reject an over-long line with its number")
    func tooLongRejected() throws {
        let file = try TempFile("{}\n" + String(repeating: " ", count: 50) + "\n")
        let reader = try JSONLinesReader(path: file.path, maximumLineLength: 20)
        let decoder = EventDecoder()
        let first = try #require(try reader.next())
        #expect(decoder.decode(first, file: "f")?.failure?.reason == "missing required field 'type'")
        let second = try #require(try reader.next())
        #expect(
            decoder.decode(second, file: "f")
                == .failure(EventRejection(file: "f", line: 2, reason: "line too long (51 bytes)")))
    }

    @Test("accepts a line of exactly the maximum length, even with CRLF")
    func exactlyMaximum() throws {
        let file = try TempFile("0123456789\r\n01234567890\n")
        let lines = try readAll(file, chunkSize: 3, maximumLineLength: 10)
        #expect(lines.map(\.text) == ["0123456789", ""])
        #expect(lines.map(\.tooLong) == [false, true])
    }

    @Test("stays at the end once the file is exhausted")
    func staysAtEnd() throws {
        let file = try TempFile("a")
        let reader = try JSONLinesReader(path: file.path)
        #expect(try reader.next()?.complete == false)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }

    @Test("fails to open a missing file with the path and system reason")
    func missingFile() {
        do {
            _ = try JSONLinesReader(path: "/nonexistent/events.jsonl")
            Issue.record("opened a missing file")
        } catch {
            #expect(error.code == ENOENT)
            #expect(error.message == "cannot open /nonexistent/events.jsonl: No such file or directory")
        }
    }

    @Test("decodes lines straight from the reader's buffer")
    func readerFeedsDecoder() throws {
        let file = try TempFile(
            "{\"type\":\"page\",\"userId\":\"u\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\r\n  \nnot json\n")
        let reader = try JSONLinesReader(path: file.path)
        let decoder = EventDecoder()
        var results: [String] = []
        while let line = try reader.next() {
            switch decoder.decode(line: line.bytes, file: "f", lineNumber: line.number) {
            case .success(let e)?: results.append("event \(e.source!)")
            case .failure(let r)?: results.append(r.description)
            case nil: results.append("blank \(line.number)")
            }
        }
        #expect(
            results == [
                "event f:1", "blank 2", "f:3: invalid JSON at column 1: invalid literal, expected 'null'",
            ])
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
