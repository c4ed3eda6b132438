import ArgumentParser
import Engine
import Foundation
import Store
import TouchpointCore

extension GoalReport {
    /// The report of what a daemon did: its store's delivered messages and holdout drops, measured against the
    /// events in the config's events folder (every `*.jsonl`, in name order). A store keeps no trigger
    /// properties, so a goal's `same` cannot be checked here: any goal event within the window counts.
    static func fromStore(path: String, project: Project) async throws -> GoalReport {
        guard FileManager.default.fileExists(atPath: path) else {
            printError("\(path): error: no such store")
            throw ExitCode(1)
        }
        let store = try SQLiteStore(path: path)
        var report = GoalReport(
            rules: project.book.rules.map { rule in
                var r = rule.rule
                r.goal?.same = []
                return r
            })
        for x in try await store.exposures() {
            report.add(
                rule: x.rule, customer: x.customer, messageId: x.messageId, at: x.at, trigger: nil,
                heldOut: x.heldOut)
        }
        let folder = project.config.eventsDirectory
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }.sorted().map { folder + "/" + $0 }
        for file in files { try report.read(file: file) }
        return report
    }
}
