import Foundation
import Logging
import ServiceLifecycle
import Testing
import TouchpointCore
import Tracking

extension TrackingSuite {
    @Suite("the event recorder") struct Recorder {
        static func running(_ folder: URL) -> (EventRecorder, ServiceGroup, Task<Void, any Error>) {
            let recorder = EventRecorder(folder: folder.path, logger: Logger(label: "recorder-test"))
            let group = ServiceGroup(
                configuration: .init(services: [recorder], logger: Logger(label: "recorder-test")))
            return (recorder, group, Task { try await group.run() })
        }

        @Test("concurrent appends all land, each line whole, in the day file of their time")
        func concurrentAppends() async throws {
            let folder = try temporaryFolder("recorder")
            defer { try? FileManager.default.removeItem(at: folder) }
            let (recorder, group, task) = Self.running(folder)
            let day = Instant(seconds: 1_795_000_000)
            try await withThrowingTaskGroup(of: EventRecorder.Outcome.self) { tasks in
                for i in 0..<300 {
                    tasks.addTask {
                        try await recorder.append([
                            EventRecorder.Line(
                                messageId: "m\(i)", at: day,
                                json: #"{"n":\#(i),"pad":"\#(String(repeating: "x", count: i))"}"#)
                        ])
                    }
                }
                for try await outcome in tasks { #expect(outcome == .recorded) }
            }
            // A repeat of a recent id is not written again.
            #expect(
                try await recorder.append([EventRecorder.Line(messageId: "m7", at: day, json: "{}")])
                    == .duplicate)
            let next = Instant(seconds: 1_795_000_000 + 86_400)
            #expect(
                try await recorder.append([
                    EventRecorder.Line(messageId: "next", at: next, json: #"{"n":-1}"#)
                ]) == .recorded)
            await group.triggerGracefulShutdown()
            try await task.value
            let text = try String(contentsOfFile: recorder.path(for: day), encoding: .utf8)
            #expect(recorder.path(for: day).hasSuffix("/http-2026-11-18.jsonl"))
            let numbers = text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["n"] as? Int
            }
            #expect(Set(numbers) == Set(0..<300) && numbers.count == 300)
            #expect(try String(contentsOfFile: recorder.path(for: next), encoding: .utf8) == "{\"n\":-1}\n")
        }

        @Test("a file left with a partial last line by a crash is closed with a newline before the next line")
        func partialLine() async throws {
            let folder = try temporaryFolder("recorder")
            defer { try? FileManager.default.removeItem(at: folder) }
            let (recorder, group, task) = Self.running(folder)
            let at = Instant(seconds: 1_795_000_000)
            try #"{"whole":1}"#.appending("\n{\"part").write(
                toFile: recorder.path(for: at), atomically: true, encoding: .utf8)
            #expect(
                try await recorder.append([EventRecorder.Line(messageId: "a", at: at, json: #"{"next":2}"#)])
                    == .recorded)
            await group.triggerGracefulShutdown()
            try await task.value
            #expect(
                try String(contentsOfFile: recorder.path(for: at), encoding: .utf8)
                    == "{\"whole\":1}\n{\"part\n{\"next\":2}\n")
        }

        @Test("after shutdown an append is refused, not silently dropped")
        func afterShutdown() async throws {
            let folder = try temporaryFolder("recorder")
            defer { try? FileManager.default.removeItem(at: folder) }
            let (recorder, group, task) = Self.running(folder)
            await group.triggerGracefulShutdown()
            try await task.value
            await #expect(throws: EventRecorder.WriteError.self) {
                try await recorder.append([
                    EventRecorder.Line(messageId: "late", at: Instant(seconds: 1), json: "{}")
                ])
            }
        }
    }
}
