import Testing
import TouchpointCore

@Suite("Holdout assignment (SPEC §2 holdout)")
struct HoldoutTests {
    @Test("the share held out of 100k customers is within ±0.5 % of the configured share")
    func shareOn100k() {
        let holdout = Holdout()
        for share in [0.05, 0.10, 0.50] {
            let held = (0..<100_000).filter { holdout.holdsOut("u\($0)", share: share) }.count
            let observed = Double(held) / 100_000
            #expect(abs(observed - share) <= 0.005, "share \(share): observed \(observed)")
        }
    }

    @Test("assignment is a keyed hash, the same in every process: pinned values under the default key")
    func stableAcrossProcesses() {
        // Swift's Hasher is seeded per process; these values would change from run to run if it were used.
        let holdout = Holdout()
        let held = (0..<200).map { "u\($0)" }.filter { holdout.holdsOut($0, share: 0.05) }
        #expect(held == Self.pinned, "\(held)")
        #expect(Holdout().score("u42") == holdout.score("u42"))
    }

    @Test("another key gives another group; nested shares nest")
    func keyedAndNested() {
        let a = Holdout(key: "one")
        let b = Holdout(key: "two")
        let ids = (0..<2000).map { "c-\($0)" }
        let heldA = Set(ids.filter { a.holdsOut($0, share: 0.1) })
        let heldB = Set(ids.filter { b.holdsOut($0, share: 0.1) })
        #expect(heldA != heldB)
        let five = Set(ids.filter { a.holdsOut($0, share: 0.05) })
        #expect(five.isSubset(of: heldA))
        #expect(ids.allSatisfy { !a.holdsOut($0, share: 0) })
        #expect(ids.allSatisfy { a.holdsOut($0, share: 1) })
    }

    // The same list from Python: hmac.new(b"touchpoint-holdout-v1", id, sha256), first 8 bytes, top 53 bits / 2**53 < 0.05.
    static let pinned = ["u19", "u46", "u57", "u80", "u114", "u126", "u137", "u144", "u147", "u196"]
}
