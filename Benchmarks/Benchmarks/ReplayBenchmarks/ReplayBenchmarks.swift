// In-process figures for the replay hot path (issue 7): time and allocations per event.
//
//   swift package --package-path Benchmarks --disable-sandbox benchmark --target ReplayBenchmarks
//
// Each benchmark processes exactly 1,000 events per scaled iteration (`scalingFactor: .kilo`), so the
// reported malloc counts and times are per event. The events are the first 1,000 decodable lines of
// TOUCHPOINT_BENCH_EVENTS (default /tmp/bench/events_100000_c10000_s42.jsonl, from
// `scripts/bench-dry-run.sh` or `touchpoint-generate`), and the project is TOUCHPOINT_BENCH_PROJECT
// (default: the repository root, the parent of the Benchmarks package).
import Benchmark
import Engine
import Events
import Foundation
import TouchpointCore

/// The fixture: the project and 1,000 raw event lines, loaded once.
struct Fixture: Sendable {
    let project: Project
    let lines: [[UInt8]]

    static func load() -> Fixture {
        let env = ProcessInfo.processInfo.environment
        let root = env["TOUCHPOINT_BENCH_PROJECT"] ?? Self.repositoryRoot()
        let path = env["TOUCHPOINT_BENCH_EVENTS"] ?? "/tmp/bench/events_100000_c10000_s42.jsonl"
        guard FileManager.default.changeCurrentDirectoryPath(root) else {
            fatalError("cannot change to \(root): set TOUCHPOINT_BENCH_PROJECT")
        }
        let project = Project.load(configPath: nil, environment: env)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            fatalError("cannot read \(path): set TOUCHPOINT_BENCH_EVENTS")
        }
        var lines: [[UInt8]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where lines.count < 1000 {
            lines.append(Array(line.utf8))
        }
        precondition(lines.count == 1000, "\(path) has fewer than 1,000 lines")
        return Fixture(project: project, lines: lines)
    }

    /// The Benchmarks package's parent, found from this file's path.
    static func repositoryRoot() -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }
}

/// Loaded on first use (a global `let` is initialised lazily and once).
let fixture = Fixture.load()

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .memoryLeaked]
    let config = Benchmark.Configuration(
        metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 200)

    Benchmark("decode one event", configuration: config) { benchmark in
        let f = fixture
        let decoder = EventDecoder()
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            f.lines[i].withUnsafeBufferPointer { line in
                blackHole(decoder.decode(line: line, file: "bench.jsonl", lineNumber: i + 1))
            }
        }
    }

    Benchmark("decode + engine, no rendering due", configuration: config) { benchmark in
        // The rules' waits are hours to days, so 1,000 consecutive events fire few timers: this is the
        // per-event path (dedupe, profile update, cancellations, triggers, timer pushes).
        let f = fixture
        let decoder = EventDecoder()
        var engine = Engine(book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        engine.tracksChanges = false
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            f.lines[i].withUnsafeBufferPointer { line in
                if case .success(let event)? = decoder.decode(line: line, file: "bench.jsonl", lineNumber: i + 1) {
                    blackHole(engine.apply(event))
                }
            }
        }
    }

    Benchmark("decode + engine + every timer run out + JSON lines", configuration: config) { benchmark in
        // The whole dry-run per event: as above, then every pending message is scheduled, rendered and
        // written as its JSON line. Allocations per event include the messages' share.
        let f = fixture
        let decoder = EventDecoder()
        var engine = Engine(book: f.project.book, templates: f.project.templates, settings: f.project.engineSettings())
        engine.tracksChanges = false
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            f.lines[i].withUnsafeBufferPointer { line in
                if case .success(let event)? = decoder.decode(line: line, file: "bench.jsonl", lineNumber: i + 1) {
                    for r in engine.apply(event) { r.writeJSONLine(into: &buffer); buffer.removeAll(keepingCapacity: true) }
                }
            }
        }
        for r in engine.finish() { r.writeJSONLine(into: &buffer); buffer.removeAll(keepingCapacity: true) }
        blackHole(buffer)
    }
}
