import TouchpointCore

/// Engagement aggregated over all customers, the prior every customer's own data is shrunk towards.
///
/// Counts are plain (not decayed) and slots are the customer's local hour of the week (Monday 00:00 is
/// slot 0), so "7 pm" means 7 pm wherever the customer lives. The engine updates it incrementally as
/// sends, opens, clicks and activity happen, including the empirical-Bayes sums behind each channel's
/// prior strength (``updatePrior(from:to:)``).
public struct PopulationStats: Sendable, Hashable, Codable {
    private static let channels = Channel.allCases.count
    private var sendTotals: [Int]
    private var openTotals: [Int]
    private var clickTotals: [Int]
    private var responseTotals: [Int]
    /// Sends per channel and local send slot.
    private var sendSlots: [Int]
    /// Sends that got a first open or click, per channel and the local slot of the *send*.
    private var responseSlots: [Int]
    /// Opens and clicks per channel and their own local slot.
    private var engagementSlots: [Int]
    /// Customer `track` activity per local slot.
    private var activitySlots: [Int]
    /// Per channel, the sums the Beta prior strength is fitted from (empirical Bayes); optional so state
    /// saved before they existed still decodes.
    private var moments: [PriorMoments]?
    /// Cluster mode: what decisions read between two merge points (the merged statistics of every node), while
    /// counts still go to the fields above. `nil`: decisions read the live counts (one daemon, dry-run).
    private var frozen: Frozen?

    private enum CodingKeys: String, CodingKey {
        case sendTotals, openTotals, clickTotals, responseTotals, sendSlots, responseSlots, engagementSlots
        case activitySlots, moments
    }

    /// The statistics decisions read.
    private var reading: PopulationStats { frozen?.stats ?? self }

    /// Empty statistics: every estimate falls back to a flat prior.
    public init() {
        sendTotals = Array(repeating: 0, count: Self.channels)
        openTotals = sendTotals
        clickTotals = sendTotals
        responseTotals = sendTotals
        sendSlots = Array(repeating: 0, count: Self.channels * HourOfWeek.count)
        responseSlots = sendSlots
        engagementSlots = sendSlots
        activitySlots = Array(repeating: 0, count: HourOfWeek.count)
    }

    /// Counts a message sent on `channel` at `at`, in the customer's `zone`.
    public mutating func recordSend(_ channel: Channel, at: Instant, zone: Zone) {
        sendTotals[channel.slotIndex] += 1
        sendSlots[channel.slotIndex * HourOfWeek.count + HourOfWeek.slot(at, in: zone)] += 1
    }

    /// Counts an open at `at`. Pass `sentAt` (when the opened message was sent) only for the first open or
    /// click of that message: it credits the channel's open rate and, when it came within
    /// ``TouchpointCore/Engagement/promptResponse`` of the send, the send hour (a later answer says when the
    /// customer reads, not that the send hour works).
    public mutating func recordOpen(_ channel: Channel, at: Instant, zone: Zone, sentAt: Instant? = nil) {
        openTotals[channel.slotIndex] += 1
        recordEngagement(channel, at: at, zone: zone, sentAt: sentAt)
    }

    /// Counts a click at `at`; `sentAt` as in ``recordOpen(_:at:zone:sentAt:)``.
    public mutating func recordClick(_ channel: Channel, at: Instant, zone: Zone, sentAt: Instant? = nil) {
        clickTotals[channel.slotIndex] += 1
        recordEngagement(channel, at: at, zone: zone, sentAt: sentAt)
    }

    /// Counts one customer `track` activity at `at`.
    public mutating func recordActivity(at: Instant, zone: Zone) {
        activitySlots[HourOfWeek.slot(at, in: zone)] += 1
    }

    private mutating func recordEngagement(_ channel: Channel, at: Instant, zone: Zone, sentAt: Instant?) {
        let base = channel.slotIndex * HourOfWeek.count
        engagementSlots[base + HourOfWeek.slot(at, in: zone)] += 1
        if let sentAt {
            responseTotals[channel.slotIndex] += 1
            if at.milliseconds - sentAt.milliseconds < Engagement.promptResponse.milliseconds {
                responseSlots[base + HourOfWeek.slot(sentAt, in: zone)] += 1
            }
        }
    }

    /// Messages sent on `channel`.
    public func sends(_ channel: Channel) -> Int { reading.sendTotals[channel.slotIndex] }
    /// Opens on `channel`.
    public func opens(_ channel: Channel) -> Int { reading.openTotals[channel.slotIndex] }
    /// Clicks on `channel`.
    public func clicks(_ channel: Channel) -> Int { reading.clickTotals[channel.slotIndex] }
    /// Sends on `channel` credited with a first open or click.
    public func responses(_ channel: Channel) -> Int { reading.responseTotals[channel.slotIndex] }

    /// The channel's open probability over all customers, Laplace-smoothed: `(responses + 1) / (sends + 2)`.
    ///
    /// Without attributed responses it falls back to `max(opens, clicks)`; either is capped at `sends`.
    public func openRate(_ channel: Channel) -> Double {
        let s = sends(channel)
        let r = responses(channel) > 0 ? responses(channel) : Swift.max(opens(channel), clicks(channel))
        return Double(Swift.min(r, s) + 1) / Double(s + 2)
    }

    /// The channel's Beta prior strength (pseudo-sends) fitted from how much customers' response rates
    /// differ, or `nil` while fewer than 20 customers have two or more sends on it. See
    /// ``Scheduler/fitChannelPriors(customers:into:)`` for the estimator.
    public func fittedPriorStrength(_ channel: Channel) -> Double? {
        reading.moments?[channel.slotIndex].strength
    }

    /// Keeps the empirical-Bayes sums current after one customer's engagement changed from `before` to
    /// `after`: O(1), so the prior follows the data event by event.
    public mutating func updatePrior(from before: EngagementCounts, to after: EngagementCounts) {
        guard before != after else { return }
        var m = moments ?? Array(repeating: PriorMoments(), count: Self.channels)
        for c in Channel.allCases where before[c] != after[c] {
            m[c.slotIndex].add(n: before[c].sends, x: before[c].responses, sign: -1)
            m[c.slotIndex].add(n: after[c].sends, x: after[c].responses, sign: 1)
        }
        moments = m
    }

    /// Replaces the empirical-Bayes sums (a full refit).
    mutating func setMoments(_ m: [PriorMoments]) { moments = m }

    func sendSlots(_ channel: Channel) -> [Int] { slice(reading.sendSlots, channel) }
    func engagementSlots(_ channel: Channel) -> [Int] { slice(reading.engagementSlots, channel) }
    var activity: [Int] { reading.activitySlots }

    /// The channel's send and prompt-response slots, read in place (no copies: the scheduler reads them
    /// once per decision).
    func withSlots<R>(_ channel: Channel, _ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>) -> R)
        -> R
    {
        let base = channel.slotIndex * HourOfWeek.count
        let view = reading
        return view.sendSlots.withUnsafeBufferPointer { sends in
            view.responseSlots.withUnsafeBufferPointer { answered in
                body(
                    UnsafeBufferPointer(rebasing: sends[base..<(base + HourOfWeek.count)]),
                    UnsafeBufferPointer(rebasing: answered[base..<(base + HourOfWeek.count)]))
            }
        }
    }

    private func slice(_ a: [Int], _ channel: Channel) -> [Int] {
        let base = channel.slotIndex * HourOfWeek.count
        return Array(a[base..<(base + HourOfWeek.count)])
    }
}

// Cluster mode (SPEC §10): each node adds what its own events and sends contributed to its row in the store, and
// at a fixed cadence every node reads all rows back, sums them, and freezes its decisions on that sum until the
// next merge. The counts are plain sums, so merging is addition and no count is lost or doubled across nodes.
extension PopulationStats {
    /// The read side of cluster mode: an immutable copy (a class, since a struct cannot hold itself).
    final class Frozen: Sendable, Hashable {
        let stats: PopulationStats

        init(_ stats: PopulationStats) { self.stats = stats }

        static func == (a: Frozen, b: Frozen) -> Bool { a.stats == b.stats }
        func hash(into hasher: inout Hasher) { hasher.combine(stats) }
    }

    /// These counts, with decisions reading them as they are now until the next ``freezing()`` (counts still
    /// accumulate meanwhile).
    public func freezing() -> PopulationStats {
        var out = self
        out.frozen = nil
        out.frozen = Frozen(out)
        return out
    }

    /// Whether decisions read a frozen copy.
    public var isFrozen: Bool { frozen != nil }

    /// How often in event time the engine takes a snapshot of these counts for decisions to read (the engine's
    /// `PopulationSnapshots`): a decision reads the counts as they stood at the start of the hour before its
    /// own, so customers decided on different threads decide the same (`dry-run --threads`).
    public static let freezeEvery = TimeSpan.hours(1)

    /// The live counts without the frozen view.
    public var live: PopulationStats {
        var out = self
        out.frozen = nil
        return out
    }

    /// The element-wise sum (`sign` 1) or difference (`sign` −1) of the live counts.
    public func adding(_ other: PopulationStats, sign: Int = 1) -> PopulationStats {
        func combine(_ a: [Int], _ b: [Int]) -> [Int] { zip(a, b).map { $0 + sign * $1 } }
        var out = PopulationStats()
        out.sendTotals = combine(sendTotals, other.sendTotals)
        out.openTotals = combine(openTotals, other.openTotals)
        out.clickTotals = combine(clickTotals, other.clickTotals)
        out.responseTotals = combine(responseTotals, other.responseTotals)
        out.sendSlots = combine(sendSlots, other.sendSlots)
        out.responseSlots = combine(responseSlots, other.responseSlots)
        out.engagementSlots = combine(engagementSlots, other.engagementSlots)
        out.activitySlots = combine(activitySlots, other.activitySlots)
        if moments != nil || other.moments != nil {
            let empty = Array(repeating: PriorMoments(), count: Self.channels)
            out.moments = zip(moments ?? empty, other.moments ?? empty).map { a, b in
                var m = a
                m.customers += sign * b.customers
                m.sends += sign * b.sends
                m.responses += sign * b.responses
                m.pairs += sign * b.pairs
                m.answeredPairs += sign * b.answeredPairs
                return m
            }
        }
        return out
    }

    /// Whether every count is zero.
    public var isEmpty: Bool {
        let counts = [
            sendTotals, openTotals, clickTotals, responseTotals, sendSlots, responseSlots, engagementSlots,
        ]
        return counts.allSatisfy { $0.allSatisfy { $0 == 0 } } && activitySlots.allSatisfy { $0 == 0 }
            && (moments ?? []).allSatisfy { $0 == PriorMoments() }
    }
}
