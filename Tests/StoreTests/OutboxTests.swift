import Foundation
import Store
import Testing
import TouchpointCore

@Suite("Outbox")
struct OutboxTests {
    @Test("a replayed decision neither duplicates nor resets an existing row", arguments: Backing.allCases)
    func insertIgnoresReplays(backing: Backing) async throws {
        try await backing.with { store in
            let first = try await store.commit(Batch(outbox: [row("m1"), row("m2")]))
            #expect(first.outboxInserted == 2)
            let claimed = try await store.claimDue(now: t(1_000), limit: 10, leaseOwner: "d1")
            #expect(claimed.count == 2)
            try await store.recordOutcome(
                messageId: "m1", outcome: .delivered(providerId: "p-1", answer: "200"), at: t(1_001))

            var replay = row("m1")
            replay.prepared = blob("different bytes")
            let second = try await store.commit(Batch(outbox: [replay, row("m3"), row("m3")]))
            #expect(second.outboxInserted == 1)
            #expect(second.outboxIgnored == 2)

            let m1 = try #require(try await store.outboxRow(messageId: "m1"))
            #expect(m1.state == .delivered)
            #expect(m1.providerId == "p-1")
            #expect(m1.prepared == blob("payload of m1"))
            #expect(m1.attempts == 1)
            #expect(try await store.status().outbox[.pending] == 1)
        }
    }

    @Test("claimDue takes only due claimable rows, oldest due first, up to the limit")
    func claimOrderAndLimit() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(
            Batch(outbox: [
                row("late", sendAt: 3_000), row("b", sendAt: 2_000), row("a", sendAt: 2_000),
                row("first", sendAt: 1_000),
                row("future", sendAt: 9_000),
            ]))
        #expect(try await store.claimDue(now: t(3_000), limit: 0, leaseOwner: "d").isEmpty)
        let firstTwo = try await store.claimDue(now: t(3_000), limit: 2, leaseOwner: "d")
        #expect(firstTwo.map(\.messageId) == ["first", "a"])
        let rest = try await store.claimDue(now: t(3_000), limit: 10, leaseOwner: "d")
        #expect(rest.map(\.messageId) == ["b", "late"])
        #expect(try await store.claimDue(now: t(3_000), limit: 10, leaseOwner: "d").isEmpty)
        #expect(try await store.nextDueAt() == t(9_000))
        #expect(
            try await store.claimDue(now: t(9_000), limit: 10, leaseOwner: "d").map(\.messageId) == ["future"]
        )
        #expect(try await store.nextDueAt() == nil)
    }

    @Test("a claimed row is sending with one more attempt and an open attempt record committed with it")
    func claimOpensAttempt() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1")]))
        let claimed = try #require(
            try await store.claimDue(now: t(1_500), limit: 1, leaseOwner: "worker-7").first)
        #expect(claimed.state == .sending)
        #expect(claimed.attempts == 1)
        #expect(claimed.leaseOwner == "worker-7")
        #expect(claimed.prepared == blob("payload of m1"))
        #expect(try await store.outboxRow(messageId: "m1") == claimed)
        #expect(
            try await store.attempts(messageId: "m1")
                == [AttemptRecord(messageId: "m1", attempt: 1, leaseOwner: "worker-7", startedAt: t(1_500))])
    }

    @Test("retry, then delivered: each attempt is closed with its outcome and answer")
    func retryThenDeliver() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1")]))
        _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
        try await store.recordOutcome(
            messageId: "m1", outcome: .retry(at: t(5_000), answer: "503"), at: t(1_100))
        let waiting = try #require(try await store.outboxRow(messageId: "m1"))
        #expect(waiting.state == .retry)
        #expect(waiting.nextAttemptAt == t(5_000))
        #expect(waiting.lastAnswer == "503")
        #expect(try await store.claimDue(now: t(4_999), limit: 1, leaseOwner: "d").isEmpty)
        let again = try await store.claimDue(now: t(5_000), limit: 1, leaseOwner: "d")
        #expect(again.first?.attempts == 2)
        try await store.recordOutcome(
            messageId: "m1", outcome: .delivered(providerId: "SM1", answer: "201"), at: t(5_050))
        let attempts = try await store.attempts(messageId: "m1")
        #expect(attempts.map(\.outcome) == ["retry", "delivered"])
        #expect(attempts.map(\.answer) == ["503", "201"])
        #expect(attempts.map(\.finishedAt) == [t(1_100), t(5_050)])
        let done = try #require(try await store.outboxRow(messageId: "m1"))
        #expect(done.state == .delivered)
        #expect(done.providerId == "SM1")
        #expect(done.updatedAt == t(5_050))
    }

    @Test("an outcome for a row that is not in flight is refused and changes nothing")
    func outcomeRequiresSending() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("m1")]))
        await #expect(throws: StoreError.notInFlight(messageId: "m1", state: .pending)) {
            try await store.recordOutcome(
                messageId: "m1", outcome: .delivered(providerId: nil, answer: nil), at: t(1))
        }
        await #expect(throws: StoreError.unknownMessage("nope")) {
            try await store.recordOutcome(messageId: "nope", outcome: .unknown(answer: nil), at: t(1))
        }
        _ = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
        try await store.recordOutcome(
            messageId: "m1", outcome: .delivered(providerId: nil, answer: "ok"), at: t(1_001))
        await #expect(throws: StoreError.notInFlight(messageId: "m1", state: .delivered)) {
            try await store.recordOutcome(
                messageId: "m1", outcome: .dead(reason: "x", answer: nil), at: t(1_002))
        }
        #expect(try await store.outboxRow(messageId: "m1")?.state == .delivered)
    }

    @Test("dead keeps the reason; dropped at claim time also records a dropped-message entry")
    func deadAndDropped() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("dead"), row("drop")]))
        _ = try await store.claimDue(now: t(1_000), limit: 2, leaseOwner: "d")
        try await store.recordOutcome(
            messageId: "dead", outcome: .dead(reason: "permanent: 400", answer: "bad number"), at: t(1_010))
        try await store.recordOutcome(
            messageId: "drop", outcome: .dropped(reason: "window-expired", detail: "sent 2h late"),
            at: t(1_020))
        let dead = try #require(try await store.outboxRow(messageId: "dead"))
        #expect(dead.reason == "permanent: 400")
        #expect(dead.lastAnswer == "bad number")
        let status = try await store.status()
        #expect(status.outbox[.dead] == 1)
        #expect(status.outbox[.dropped] == 1)
        #expect(status.dropped == 1)
        #expect(status.deadLetters.map(\.messageId) == ["dead"])
        #expect(status.deadLetters.first?.reason == "permanent: 400")
        #expect(try await store.attempts(messageId: "drop").first?.outcome == "dropped")
    }

    @Test("recovery re-queues in-flight rows for deduplicating peers and marks the rest unknown")
    func recoverSplitsByKind() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(
            Batch(outbox: [
                row("hook", kind: "webhook"), row("mail", kind: "smtp", channel: "email"),
                row("text", kind: "twilio", channel: "sms"), row("idle", sendAt: 99_000),
            ]))
        _ = try await store.claimDue(now: t(1_000), limit: 10, leaseOwner: "crashed")
        let report = try await store.recoverInFlight(resendable: ["webhook"], at: t(2_000))
        #expect(report.requeued == ["hook"])
        #expect(report.unknown == ["mail", "text"])

        let hook = try #require(try await store.outboxRow(messageId: "hook"))
        #expect(hook.state == .pending)
        #expect(hook.nextAttemptAt == t(2_000))
        #expect(hook.prepared == blob("payload of hook"))
        #expect(try await store.outboxRow(messageId: "mail")?.state == .unknown)
        #expect(try await store.outboxRow(messageId: "idle")?.state == .pending)
        #expect(try await store.attempts(messageId: "mail").map(\.outcome) == [AttemptRecord.interrupted])

        // The re-queued row is claimed again as attempt 2 with the same bytes; the unknown ones never are.
        let again = try await store.claimDue(now: t(2_000), limit: 10, leaseOwner: "restarted")
        #expect(again.map(\.messageId) == ["hook"])
        #expect(again.first?.attempts == 2)
        #expect(try await store.recoverInFlight(resendable: ["webhook"], at: t(3_000)).requeued == ["hook"])
        #expect(try await store.recoverInFlight(resendable: [], at: t(3_000)).isEmpty)
    }

    @Test("retryDead re-queues all dead rows, or one named dead or unknown row, with a fresh attempt budget")
    func retryDead() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("d1"), row("d2"), row("u1", kind: "smtp"), row("ok")]))
        _ = try await store.claimDue(now: t(1_000), limit: 10, leaseOwner: "d")
        for id in ["d1", "d2"] {
            try await store.recordOutcome(
                messageId: id, outcome: .dead(reason: "gave up", answer: nil), at: t(1_100))
        }
        try await store.recordOutcome(
            messageId: "ok", outcome: .delivered(providerId: nil, answer: nil), at: t(1_100))
        _ = try await store.recoverInFlight(resendable: [], at: t(1_200))

        #expect(try await store.retryDead(messageId: "ok", at: t(2_000)) == 0)
        #expect(try await store.retryDead(messageId: "missing", at: t(2_000)) == 0)
        #expect(try await store.retryDead(messageId: nil, at: t(2_000)) == 2)
        #expect(try await store.outboxRow(messageId: "u1")?.state == .unknown)
        #expect(try await store.retryDead(messageId: "u1", at: t(2_000)) == 1)

        let d1 = try #require(try await store.outboxRow(messageId: "d1"))
        #expect(d1.state == .pending)
        #expect(d1.nextAttemptAt == t(2_000))
        #expect(d1.reason == nil)
        #expect(d1.attemptsAtRequeue == 1)
        #expect(try await store.outboxRow(messageId: "ok")?.state == .delivered)
        let claimed = try await store.claimDue(now: t(2_000), limit: 10, leaseOwner: "d")
        #expect(claimed.map(\.messageId) == ["d1", "d2", "u1"])
        #expect(claimed.map(\.attempts) == [2, 2, 2])
        #expect(try await store.retryDead(messageId: nil, at: t(3_000)) == 0)
    }

    @Test("withdrawing a row drops it only while it is still claimable")
    func withdraw() async throws {
        let store = try SQLiteStore.inMemory()
        try await store.commit(Batch(outbox: [row("waiting", sendAt: 50_000), row("sent")]))
        _ = try await store.claimDue(now: t(1_000), limit: 10, leaseOwner: "d")
        let cancel = { (id: String) in
            DroppedMessage(
                messageId: id, rule: "welcome", customer: "u-\(id)", reason: .cancelled, at: t(2_000))
        }
        let report = try await store.commit(
            Batch(withdrawn: [cancel("waiting"), cancel("sent"), cancel("absent")]))
        #expect(report.withdrawn == 1)
        #expect(report.droppedInserted == 1)
        let waiting = try #require(try await store.outboxRow(messageId: "waiting"))
        #expect(waiting.state == .dropped)
        #expect(waiting.reason == "cancelled")
        #expect(try await store.outboxRow(messageId: "sent")?.state == .sending)
        #expect(try await store.claimDue(now: t(60_000), limit: 10, leaseOwner: "d").isEmpty)
    }

    @Test("an outbox row survives a JSON round trip with instants as epoch milliseconds")
    func codable() throws {
        var r = row("m1")
        r.lastAnswer = "429"
        let json = try JSONEncoder().encode(r)
        #expect(String(decoding: json, as: UTF8.self).contains("\"sendAt\":1000"))
        #expect(try JSONDecoder().decode(OutboxRow.self, from: json) == r)
    }
}

/// Issue 12 #12: a row's window is checked whenever it is claimed, not only when it was decided.
@Suite("Outbox expiry at claim")
struct OutboxExpiryTests {
    @Test(
        "a due row past its expiry is dropped window-expired instead of claimed, and the claim reads on",
        arguments: Backing.allCases)
    func expiredRowsAreDropped(backing: Backing) async throws {
        try await backing.with { store in
            var late = row("late", sendAt: 1_000)
            late.expiresAt = t(5_000)
            var fine = row("fine", sendAt: 2_000)
            fine.expiresAt = t(60_000)
            let open = row("open", sendAt: 3_000)
            try await store.commit(Batch(outbox: [late, fine, open]))
            let cycle = try await store.settleAndClaim(
                [], now: t(10_000), limit: 2, leaseOwner: "d", excludingChannels: [])
            #expect(cycle.expired == ["late"])
            #expect(cycle.claimed.map(\.messageId) == ["fine", "open"])
            let dropped = try #require(try await store.outboxRow(messageId: "late"))
            #expect(dropped.state == .dropped)
            #expect(dropped.reason == "window-expired")
            #expect(try await store.attempts(messageId: "late").isEmpty, "never attempted")
            #expect(try await store.status().dropped == 1)
        }
    }

    @Test("a row retried past its expiry is dropped at the next claim, not sent", arguments: Backing.allCases)
    func retryPastExpiry(backing: Backing) async throws {
        try await backing.with { store in
            var r = row("m", sendAt: 1_000)
            r.expiresAt = t(31_000)
            try await store.commit(Batch(outbox: [r]))
            let first = try await store.claimDue(now: t(1_000), limit: 1, leaseOwner: "d")
            #expect(first.map(\.messageId) == ["m"])
            try await store.recordOutcome(
                messageId: "m", outcome: .retry(at: t(91_000), answer: "status 429"), at: t(1_000))
            #expect(try await store.claimDue(now: t(91_000), limit: 1, leaseOwner: "d").isEmpty)
            #expect(try await store.outboxRow(messageId: "m")?.state == .dropped)
            #expect(try await store.outboxRow(messageId: "m")?.expiresAt == t(31_000))
        }
    }
}
