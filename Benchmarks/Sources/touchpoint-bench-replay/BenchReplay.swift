// Replays one events file through the real dry-run path (decode, reorder, engine, render, JSON line)
// with a synchronous `main`, so `valgrind --tool=callgrind` can count its instructions: the async
// `touchpoint` binary parks its main thread in libdispatch's `sigsuspend`, which valgrind cannot run.
//
//   touchpoint-bench-replay EVENTS.jsonl [--project DIR] [--repeat N]
//
// Run it from the repository root (or pass --project) so it loads the shipped rules/ and templates/.
// Prints one `key=value` line: lines, messages, output bytes, seconds, events/s.
import Engine
import Foundation
import TouchpointCore

@main
enum BenchReplay {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(i...(i + 1)) }
            return arguments[i + 1]
        }
        let projectDir = option("--project")
        let repeats = Int(option("--repeat") ?? "1") ?? 1
        guard let eventsPath = arguments.first else {
            FileHandle.standardError.write(
                Data("usage: touchpoint-bench-replay EVENTS.jsonl [--project DIR] [--repeat N]\n".utf8))
            exit(2)
        }
        if let projectDir, !FileManager.default.changeCurrentDirectoryPath(projectDir) {
            FileHandle.standardError.write(Data("\(projectDir): cannot change to this directory\n".utf8))
            exit(2)
        }
        let project = Project.load(configPath: nil, environment: ProcessInfo.processInfo.environment)
        for d in project.diagnostics where d.severity == .error {
            FileHandle.standardError.write(Data("\(d)\n".utf8))
        }
        var totalLines = 0
        var messages = 0
        var bytes = 0
        let start = ContinuousClock.now
        for _ in 0..<repeats {
            var settings = project.engineSettings()
            settings.keepsExplanations = false  // as `touchpoint dry-run` does without --html
            var engine = Engine(book: project.book, templates: project.templates, settings: settings)
            engine.tracksChanges = false
            var replay = Replay(engine: engine, lateness: project.config.lateness)
            replay.propertiesRead = engine.eventsReadingProperties  // as `touchpoint dry-run` does
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            let emit: (MessageRecord) -> Void = { record in
                if record.decision == .send { messages += 1 }
                record.writeJSONLine(into: &buffer)
                bytes += buffer.count + 1
                buffer.removeAll(keepingCapacity: true)
            }
            do {
                try replay.read(file: eventsPath, emit: emit) { _ in }
            } catch {
                FileHandle.standardError.write(Data("\(eventsPath): error: \(error)\n".utf8))
                exit(1)
            }
            replay.finish(until: nil, emit: emit)
            totalLines += replay.linesRead
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "lines=\(totalLines) sent=\(messages) output_bytes=\(bytes) seconds=\(String(format: "%.3f", seconds)) "
                + "events_per_s=\(Int(Double(totalLines) / max(seconds, 1e-9)))")
    }
}
