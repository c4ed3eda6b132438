import Events
import TouchpointCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// libFuzzer entry point: the bytes as one event line, as a JSON document, and as a whole JSON Lines
/// file read through a pipe in tiny chunks with a small line limit, so the reader's buffer
/// compaction, `\r\n` and BOM handling and over-long-line skipping all run on every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let decoder = EventDecoder()
    checkIds(decoder.decode(line: bytes, file: "fuzz.jsonl", lineNumber: 1))
    _ = try? JSON.parse(bytes)
    if let text = String(validating: bytes, as: UTF8.self) {
        checkIds(decoder.decode(line: text, file: "fuzz.jsonl", lineNumber: 1))
        // The validator itself, on arbitrary text: it must agree with a plain scan for C0, DEL and C1.
        let expected = text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        if (EventDecoder.identifierProblem(text, field: "userId") != nil) != expected {
            fatalError(
                "identifierProblem disagrees with the control-character scan on \(text.debugDescription)")
        }
    }
    readAsFile(bytes, decoder: decoder)
    return 0
}

/// Issue 12 #2: an accepted event never carries a control character in an id (userId, messageId, event
/// name): an escaped `\u0000` there would reach SQLite, which cuts text at a NUL.
func checkIds(_ decoded: EventDecoder.Decoded?) {
    guard case .success(let event)? = decoded else { return }
    for (field, id) in [("userId", event.userId), ("messageId", event.messageId), ("event", event.name)] {
        if let id, EventDecoder.controlCharacter(in: id) != nil {
            fatalError("accepted a control character in \(field): \(id.debugDescription)")
        }
    }
}

/// Feeds `bytes` through a pipe (the same path as `--events -`); run.sh keeps inputs under the
/// pipe's 64 KiB buffer, so writing everything before reading cannot block.
func readAsFile(_ bytes: UnsafeBufferPointer<UInt8>, decoder: EventDecoder) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return }
    var written = 0
    while written < bytes.count {
        let n = write(fds[1], bytes.baseAddress! + written, bytes.count - written)
        if n <= 0 { break }
        written += n
    }
    close(fds[1])
    let reader = JSONLinesReader(
        fileDescriptor: fds[0], path: "fuzz.jsonl", closeWhenDone: true, chunkSize: 7, maximumLineLength: 256)
    while let line = try? reader.next() {
        checkIds(decoder.decode(line, file: "fuzz.jsonl"))
    }
}
