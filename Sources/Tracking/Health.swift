import Foundation
import Store
import TouchpointCore

/// `/readyz` and the store-backed gauges of `/metrics`.
///
/// Ready means the store answers and the engine has read every events file to its end (the stored
/// offsets reach each file's size), so what was recorded a moment ago is being acted on. Not ready
/// (503) names the reason; `/healthz` only says the process is up.
struct Health: Sendable {
    let store: (any StateStore)?
    let eventsFolder: String
    let recorderPrefix: String

    /// Why the daemon is not ready, or `nil` when it is.
    func problem() async -> String? {
        guard let store else { return "no store" }
        let status: StoreStatus
        do {
            status = try await store.status(deadLetterLimit: 0)
        } catch {
            return "store unreachable: \(error)"
        }
        let read = Dictionary(status.offsets.map { ($0.path, $0.offset) }, uniquingKeysWith: max)
        var behind: Int64 = 0
        var files = 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: eventsFolder)) ?? []
        for name in names where name.hasSuffix(".jsonl") && !name.hasPrefix(".") {
            let path = eventsFolder + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let size = (attributes[.size] as? NSNumber)?.int64Value
            else { continue }
            let done = Int64(read[path] ?? 0)
            if size > done {
                behind += size - done
                files += 1
            }
        }
        if behind > 0 { return "catching up: \(behind) bytes unread in \(files) events file(s)" }
        return nil
    }

    /// Sets the outbox gauges from the store.
    func refresh(_ telemetry: Telemetry, now: Instant) async {
        guard let store, let status = try? await store.status(deadLetterLimit: 0) else { return }
        var rows: [String: Int] = [:]
        for (state, n) in status.outbox { rows[state.rawValue] = n }
        var age = 0.0
        if let due = try? await store.nextDueAt(), due < now {
            age = Double(now.milliseconds - due.milliseconds) / 1000
        }
        telemetry.outbox(rows: rows, oldestDueAgeSeconds: age)
    }
}
