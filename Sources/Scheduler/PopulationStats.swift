import TouchpointCore

/// Engagement aggregated over all customers, the prior every customer's own data is shrunk towards.
///
/// Counts are plain (not decayed) and slots are the customer's local hour of the week (Monday 00:00 is
/// slot 0), so "7 pm" means 7 pm wherever the customer lives. The engine updates it incrementally as
/// sends, opens, clicks and activity happen.
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
    /// Per channel, the Beta prior strength fitted from the spread of customers' open rates, when fitted.
    private var fittedStrengths: [Double]?

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
    /// click of that message: it credits the send hour and the channel's open rate.
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
            responseSlots[base + HourOfWeek.slot(sentAt, in: zone)] += 1
        }
    }

    /// Messages sent on `channel`.
    public func sends(_ channel: Channel) -> Int { sendTotals[channel.slotIndex] }
    /// Opens on `channel`.
    public func opens(_ channel: Channel) -> Int { openTotals[channel.slotIndex] }
    /// Clicks on `channel`.
    public func clicks(_ channel: Channel) -> Int { clickTotals[channel.slotIndex] }
    /// Sends on `channel` credited with a first open or click.
    public func responses(_ channel: Channel) -> Int { responseTotals[channel.slotIndex] }

    /// The channel's open probability over all customers, Laplace-smoothed: `(responses + 1) / (sends + 2)`.
    ///
    /// Without attributed responses it falls back to `max(opens, clicks)`; either is capped at `sends`.
    public func openRate(_ channel: Channel) -> Double {
        let s = sends(channel)
        let r = responses(channel) > 0 ? responses(channel) : Swift.max(opens(channel), clicks(channel))
        return Double(Swift.min(r, s) + 1) / Double(s + 2)
    }

    /// The channel's fitted prior strength (pseudo-sends), or `nil` before
    /// ``Scheduler/fitChannelPriors(customers:into:)`` has run or when too few customers had data.
    public func fittedPriorStrength(_ channel: Channel) -> Double? {
        guard let s = fittedStrengths?[channel.slotIndex], s > 0 else { return nil }
        return s
    }

    /// Stores fitted prior strengths (`0` = not fitted for that channel).
    mutating func setFittedStrengths(_ strengths: [Double]) { fittedStrengths = strengths }

    func sendSlots(_ channel: Channel) -> [Int] { slice(sendSlots, channel) }
    func responseSlots(_ channel: Channel) -> [Int] { slice(responseSlots, channel) }
    func engagementSlots(_ channel: Channel) -> [Int] { slice(engagementSlots, channel) }
    var activity: [Int] { activitySlots }

    private func slice(_ a: [Int], _ channel: Channel) -> [Int] {
        let base = channel.slotIndex * HourOfWeek.count
        return Array(a[base..<(base + HourOfWeek.count)])
    }
}
