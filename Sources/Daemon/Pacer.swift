import Channels
import TouchpointCore

/// The dispatcher's pacing: one ``TokenBucket`` per paced channel, and how many rows one claim may take.
///
/// A claim brings rows of any channel up to one limit, so a paced channel with few tokens would hold every
/// other channel to its count. Claims therefore take turns: one that leaves the short channels out (the
/// others fill every free slot), then one that includes them with the limit their tokens allow.
struct Pacer {
    private var buckets: [String: TokenBucket]
    private var pacedTurn = false

    init(_ pacing: [Channel: Adapters.Pacing]) {
        var buckets: [String: TokenBucket] = [:]
        for (channel, pace) in pacing { buckets[channel.rawValue] = pace.bucket }
        self.buckets = buckets
    }

    var isEmpty: Bool { buckets.isEmpty }

    /// The channels to leave out of this claim and its limit, from `free` slots; `again` when a channel
    /// with tokens was left out for the others' turn, so the next claim (its turn) should come at once.
    mutating func limit(free: Int, now: Instant) -> (excluded: Set<String>, free: Int, again: Bool) {
        var excluded = Set<String>()
        var short: [Int] = []
        for channel in buckets.keys {
            let tokens = buckets[channel]!.available(now: now)
            if tokens == 0 {
                excluded.insert(channel)
            } else if tokens < free {
                short.append(tokens)
                if !pacedTurn { excluded.insert(channel) }
            }
        }
        guard !short.isEmpty else { return (excluded, free, false) }
        defer { pacedTurn.toggle() }
        return pacedTurn ? (excluded, min(free, short.min()!), false) : (excluded, free, true)
    }

    /// Takes a token for a claimed row of `channel` (unpaced channels have none to take).
    mutating func take(_ channel: String, now: Instant) {
        _ = buckets[channel]?.take(now: now)
    }

    /// Milliseconds until an empty bucket has a token again; `nil` when none is empty.
    mutating func nextToken(now: Instant) -> Int64? {
        var soonest: Int64?
        for channel in buckets.keys {
            let wait = buckets[channel]!.millisecondsUntilNext(now: now)
            if wait > 0 { soonest = min(soonest ?? wait, wait) }
        }
        return soonest
    }
}
