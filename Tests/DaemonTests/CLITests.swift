import Foundation
import Testing
import TouchpointCore

/// `touchpoint ARGUMENTS…` run to the end, stdout and stderr apart.
struct CLIRun {
    var stdout: String
    var stderr: String
    var status: Int32

    init(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Paths.requireBinary())
        p.arguments = arguments
        p.currentDirectoryURL = Paths.packageRoot
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // stderr is read on another thread so a full pipe cannot stall the child.
        let errBox = ErrBox()
        let reader = Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errBox.done.signal()
        }
        reader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        errBox.done.wait()
        p.waitUntilExit()
        stdout = String(decoding: data, as: UTF8.self)
        stderr = String(decoding: errBox.data, as: UTF8.self)
        status = p.terminationStatus
    }

    /// Both streams, for failure messages.
    var all: String { stdout + stderr }

    /// The example project's config.
    static var exampleConfig: String {
        Paths.packageRoot.appendingPathComponent("examples/touchpoint.yaml").path
    }
    /// The example story.
    static var exampleEvents: String {
        Paths.packageRoot.appendingPathComponent("examples/events.jsonl").path
    }
}

/// The reader thread's result; the semaphore orders the write before the read.
private final class ErrBox: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

extension DaemonSuite {
    /// Issue 15 part B: a command line that explains itself, through the real binary.
    @Suite("the command line") struct CommandLine {
        @Test("--version prints the version and exits 0")
        func version() throws {
            let r = try CLIRun(["--version"])
            #expect(r.status == 0, "\(r.all)")
            #expect(r.stdout.hasPrefix("touchpoint "), "\(r.all)")
            #expect(r.stdout.contains("."), "\(r.all)")
        }

        @Test("--explain for a customer with no events exits 1 and says so")
        func explainNobody() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--explain", "nobody", CLIRun.exampleEvents,
            ])
            #expect(r.status == 1, "\(r.all)")
            #expect(r.stderr.contains("--explain nobody: no events for customer 'nobody'"), "\(r.stderr)")
        }

        @Test("--until takes a bare date (midnight in the default timezone) and a local time")
        func untilDate() throws {
            let byDate = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until", "2026-11-05",
                CLIRun.exampleEvents,
            ])
            #expect(byDate.status == 0, "\(byDate.all)")
            let byTime = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until",
                "2026-11-05T00:00:00+08:00", CLIRun.exampleEvents,
            ])
            let byLocal = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until",
                "2026-11-05T00:00",
                CLIRun.exampleEvents,
            ])
            #expect(!byDate.stdout.isEmpty)
            // The example's default-timezone is Asia/Shanghai: the date is its midnight there.
            #expect(byDate.stdout == byTime.stdout)
            #expect(byLocal.stdout == byTime.stdout)
            let later = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--format", "json", "--until", "2026-11-06",
                CLIRun.exampleEvents,
            ])
            #expect(later.stdout.count > byDate.stdout.count)
            let bad = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--until", "2026-02-30", CLIRun.exampleEvents,
            ])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--until '2026-02-30' is not a date"), "\(bad.stderr)")
        }

        @Test("durations print as written: the win-back rule's 30d is 30d in the explanation, not 4w2d")
        func durationsAsWritten() throws {
            let r = try CLIRun([
                "dry-run", "--config", CLIRun.exampleConfig, "--explain", "u-olivia", "--format", "json",
                CLIRun.exampleEvents,
            ])
            #expect(r.status == 0, "\(r.all)")
            #expect(!r.all.contains("4w2d"), "\(r.all)")
            #expect(r.stderr.contains("30d"), "\(r.stderr)")
        }
    }
}
