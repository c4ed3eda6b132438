import Events
import Foundation
import TouchpointCore

extension GoalReport {
    /// The report of replaying `files` with `project`'s rules, as `dry-run` would: every decision and every
    /// event of the history is fed in. Returns the report and the decisions (for an HTML preview).
    public static func replay(
        project: Project, files: [String], keepRecords: Bool = false,
        reject: (Replay.Rejection) -> Void = { _ in }
    ) throws -> (report: GoalReport, records: [MessageRecord]) {
        var report = GoalReport(rules: project.book.rules.map(\.rule))
        var settings = project.engineSettings()
        settings.keepsExplanations = false
        var engine = Engine(book: project.book, templates: project.templates, settings: settings)
        engine.tracksChanges = false
        engine.defersRendering = !keepRecords
        var replay = Replay(engine: engine, lateness: project.config.lateness)
        var records: [MessageRecord] = []
        let emit: (MessageRecord) -> Void = { r in
            report.add(r)
            if keepRecords { records.append(r) }
        }
        for path in files {
            try replay.read(file: path, emit: emit, reject: reject)
            try report.read(file: path)
        }
        replay.finish(until: nil, emit: emit)
        return (report, records)
    }

    /// Feeds every well-formed event of one JSON Lines file (bad lines are the replay's to report).
    public mutating func read(file path: String) throws {
        let reader = try JSONLinesReader(path: path)
        let decoder = EventDecoder()
        while let line = try reader.next() {
            if line.tooLong { continue }
            if case .success(let event)? = decoder.decode(
                line: line.bytes, file: path, lineNumber: line.number)
            {
                add(event)
            }
        }
    }
}
