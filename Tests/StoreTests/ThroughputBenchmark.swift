import Foundation
import Store
import Testing
import TouchpointCore

/// Not a test of speed (tests never assert timings): prints commit throughput when `STORE_BENCH=1`.
@Suite(
    "Throughput benchmark", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["STORE_BENCH"] != nil))
struct ThroughputBenchmark {
    @Test(
        "1,000 batches of 100 customers' 200-byte blobs plus an offset",
        arguments: [SQLiteStore.Durability.full, .normal])
    func commitBatches(durability: SQLiteStore.Durability) async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.database, durability: durability)
        let batches = 1_000
        let perBatch = 100
        let customerCount = 10_000
        let payload = Data(repeating: 0x5A, count: 200)
        var prepared: [Batch] = []
        prepared.reserveCapacity(batches)
        for b in 0..<batches {
            var customers: [String: Data] = [:]
            customers.reserveCapacity(perBatch)
            for c in 0..<perBatch { customers["customer-\((b * perBatch + c) % customerCount)"] = payload }
            prepared.append(
                Batch(
                    customers: customers,
                    offsets: [
                        FileOffset(
                            path: "events/day.jsonl", offset: UInt64(b * 4096), line: b * perBatch, inode: 1,
                            size: UInt64(b * 4096))
                    ],
                    eventsApplied: perBatch))
        }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for batch in prepared { try await store.commit(batch) }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rows = batches * (perBatch + 1)
        print(
            "store bench (\(durability)): \(batches) commits, \(rows) rows in \(String(format: "%.3f", seconds)) s → "
                + "\(Int(Double(batches) / seconds)) commits/s, \(Int(Double(rows) / seconds)) rows/s")
        #expect(try await store.load().eventsApplied == batches * perBatch)
    }
}
