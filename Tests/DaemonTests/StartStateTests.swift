import Engine
import Foundation
import Store
import Testing
import TouchpointCore

@testable import Daemon

/// Which start states the daemon refuses, and the second read before it does (nodes started together).
@Suite("Start state")
struct StartStateTests {
    /// A project whose events folder holds a line and a marker of its own store: what a sibling leaves.
    static func projectWithMarker() throws -> (Sandbox, Project) {
        let box = try Sandbox(channels: "  chat: { kind: file, path: outbox }")
        try box.append([Line.identify("u1", index: 1, at: Instant(milliseconds: 1_000))])
        let project = Project.load(configPath: box.config.path, environment: [:])
        ReadMarker.record(
            folder: project.config.eventsDirectory, store: project.config.storeDescription,
            at: Instant(milliseconds: 2_000))
        return (box, project)
    }

    final class Reads: @unchecked Sendable {
        var states: [StoredState]
        var count = 0
        init(_ states: [StoredState]) { self.states = states }
        func next() -> StoredState {
            count += 1
            return states.count > 1 ? states.removeFirst() : states[0]
        }
    }

    @Test(
        "a new store beside a folder its marker says was read is refused only if the store is still new when read again"
    )
    func secondRead() async throws {
        let (box, project) = try Self.projectWithMarker()
        defer { box.remove() }
        let options = DaemonOptions(configPath: box.config.path, environment: [:])
        var started = StoredState()
        started.firstStartedAt = Instant(milliseconds: 1_500)
        // A sibling recorded its first start between the two reads: this node starts.
        let raced = Reads([StoredState(), started])
        let state = try await Daemon.startState(options: options, project: project) { raced.next() }
        #expect(state.firstStartedAt == started.firstStartedAt)
        #expect(raced.count == 2)
        // Still new on the second read (a lost store): refused, naming the way out.
        let lost = Reads([StoredState()])
        await #expect(throws: Daemon.StartupError.self) {
            _ = try await Daemon.startState(options: options, project: project) { lost.next() }
        }
        #expect(lost.count == 2)
        // Not new at the first read: started after one read.
        let once = Reads([started])
        _ = try await Daemon.startState(options: options, project: project) { once.next() }
        #expect(once.count == 1)
    }
}
