import Foundation
import Testing

/// Runs `scripts/preview-screenshot.sh`, optionally with a fake `chromium` first on the PATH.
enum ScreenshotScript {
    static let path = ExampleStoryTests.root.appendingPathComponent("scripts/preview-screenshot.sh").path

    static func run(page: String, out: String, fakeChromium: String? = nil) throws -> (
        status: Int32, output: String
    ) {
        var environment = ProcessInfo.processInfo.environment
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fake-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        if let fakeChromium {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let binary = dir.appendingPathComponent("chromium").path
            try ("#!/bin/sh\n" + fakeChromium + "\n").write(toFile: binary, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
            environment["PATH"] = dir.path + ":/usr/bin:/bin"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [path, page, out]
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

@Suite("preview-screenshot.sh")
struct ScreenshotScriptTests {
    let page: String
    let png = FileManager.default.temporaryDirectory.appendingPathComponent(
        "screenshot-\(UUID().uuidString).png"
    ).path

    init() throws {
        page =
            FileManager.default.temporaryDirectory.appendingPathComponent("page-\(UUID().uuidString).html")
            .path
        try "<!doctype html><p>hi</p>".write(toFile: page, atomically: true, encoding: .utf8)
    }

    @Test("a Chromium that cannot start is a skip with the reason, exit 0")
    func cannotStart() throws {
        let run = try ScreenshotScript.run(
            page: page, out: png,
            fakeChromium: "echo 'chromium: error while loading shared libraries: libnss3.so' >&2; exit 127")
        #expect(run.status == 0)
        #expect(run.output.hasPrefix("skipped: chromium cannot start"), "\(run.output)")
        #expect(run.output.contains("libnss3"))
    }

    @Test("a Chromium that runs but writes no PNG fails the script")
    func noPNG() throws {
        let run = try ScreenshotScript.run(page: page, out: png, fakeChromium: "exit 0")
        #expect(run.status != 0)
        #expect(run.output.contains("wrote no PNG"), "\(run.output)")
    }

    @Test("a missing page is a usage error, not a skip")
    func missingPage() throws {
        let run = try ScreenshotScript.run(page: "/nonexistent/page.html", out: png, fakeChromium: "exit 0")
        #expect(run.status == 2)
        #expect(run.output.contains("cannot read"))
    }
}
