import Foundation

/// A customer's engagement, kept as small decayed aggregates that each event updates in O(1).
///
/// What is kept is what the scheduler reads (SPEC §4): per channel, the sends by local send hour and
/// which of them got a prompt response (the first open or click within an hour, credited to the hour the
/// message was *sent*), how many got a late one (the first open or click an hour or more later, within
/// the attribution window: it says when the customer reads, not that the send hour works), the open/click
/// times by local hour (of opens and clicks an hour or more after the channel's last send: the quick ones
/// only echo the send's hour), and the customer's activity times by local hour on weekdays and at
/// weekends. The channel open rate's evidence is a channel's sends and its prompt and late responses.
///
/// **Decay** is forward decay against a landmark: an event at `t` adds `2^((t − landmark) / halfLife)`, so
/// nothing is touched when time passes and readers multiply by `2^(−(now − landmark) / halfLife)` (see
/// ``decay(at:)``). The landmark moves forward by whole half-lives now and then, which only shifts
/// exponents. The half-life is fixed when the first event is recorded and kept with the state.
///
/// **Bins** are block floating point: `UInt8` mantissas sharing one `Int8` power-of-two exponent per
/// histogram (a send-hour histogram and its response-hour histogram share one, as responses never exceed
/// sends). A bin's step is 1/255 of the histogram's largest bin at most; additions round stochastically
/// (seeded by the event, so replays agree) and are therefore unbiased even when one event is smaller
/// than a step. When a bin would overflow, the histogram's mantissas halve (rounding half to even).
///
/// **Layout** of ``bytes`` (empty until the first event; little-endian):
/// - header, 10 bytes: format version (3); flags (bit `c`: channel `c` has a section, bit `3 + c`: its last
///   send already got its response); half-life in hours (`UInt16`, 0 = no decay); landmark in minutes since
///   the epoch (`Int32`); a counter of additions mixed into the rounding hash; where in their hour sends
///   fall (an exponential average over about eight sends, 0–255 for 0–60 minutes; version 1 state, without
///   it, decodes with "the middle of the hour");
/// - activity, 49 bytes: 24 weekday hours, 24 weekend hours, exponent;
/// - per channel with data, in `Channel.allCases` order, 107 bytes: last send in seconds after the landmark
///   (`Int32`, `Int32.min` = none); sends and responses ever (`UInt16` each, saturating; for the
///   population's empirical-Bayes fit); 24 send hours and 24 prompt-response hours with their exponent;
///   24 open/click hours with their exponent; 24 late-response hours (by send hour) with their exponent
///   (state of versions 1 and 2 decodes with none: all its responses count as prompt).
///
/// So a customer with nothing recorded holds no bytes, one with activity only 59, and each channel with
/// sends or opens adds 107: 166 bytes for one channel, 273 for two, 380 for three (plus the array's
/// 32-byte heap header and the 8-byte reference in memory; base64 adds a third in JSON).
///
/// Events are expected roughly in time order: a send earlier than the channel's last send is counted but
/// can no longer be credited with a response, and an open before its send credits nothing.
public struct Engagement: Sendable, Hashable {
    /// The packed state; see the type's layout notes.
    public internal(set) var bytes: [UInt8] = []

    /// No engagement recorded.
    public init() {}

    /// An answer this soon after its send is prompt: it speaks for the send's hour. Later ones are kept
    /// apart (``lateHours(_:at:)``), and their open times are open times (``engagedHours(_:at:)``).
    public static let promptResponse = TimeSpan(seconds: immediateResponse)

    /// The state packed in `bytes` (from ``bytes``), or `nil` when they are not a valid layout.
    public init?(packed bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        var bytes = bytes
        // Version 1 lacked the send-minute byte: it reads as "the middle of the hour".
        if bytes[0] == 1, bytes.count >= Self.channelsOffset - 1 {
            bytes.insert(Self.noSendMinute, at: Self.sendMinuteField)
            bytes[0] = 2
        }
        // Versions 1 and 2 lacked the late-response bin: their responses all stay at their send hours.
        if bytes[0] == 2, bytes.count >= Self.channelsOffset {
            let sections = Int(bytes[1] & 0b111).nonzeroBitCount
            guard bytes.count == Self.channelsOffset + sections * Self.lateBins else { return nil }
            for i in 0..<sections {
                bytes.insert(
                    contentsOf: [UInt8](repeating: 0, count: 24) + [Self.emptyExponent],
                    at: Self.channelsOffset + i * Self.channelSize + Self.lateBins)
            }
            bytes[0] = Self.version
        }
        guard bytes.count >= Self.channelsOffset, bytes[0] == Self.version else { return nil }
        let sections = Int(bytes[1] & 0b111).nonzeroBitCount
        guard bytes.count == Self.channelsOffset + sections * Self.channelSize else { return nil }
        self.bytes = bytes
    }

    /// Whether nothing has been recorded.
    public var isEmpty: Bool { bytes.isEmpty }

    // MARK: - Recording

    /// Records a message sent on `channel` at `t`; `zone` gives its local hour.
    public mutating func recordSend(
        _ channel: Channel, at t: Instant, zone: Zone, policy: EngagementPolicy = .standard
    ) {
        prepare(at: t, policy: policy)
        recordSendMinute(t, zone: zone, firstSend: Channel.allCases.allSatisfy { counts($0).sends == 0 })
        let o = section(for: channel)
        let hour = Self.local(t, zone).hour
        add(
            weight(t), bin: hour, start: o + Self.sendBins, count: 48, exponentAt: o + Self.sendExponent,
            seed: t.milliseconds)
        let offset = t.epochSeconds - Int64(landmarkMinutes) * 60
        let last = readInt32(o + Self.lastSendField)
        if last == Int32.min || offset >= Int64(last) {
            writeInt32(o + Self.lastSendField, Int32(clamping: offset))
            bytes[1] &= ~Self.creditedBit(channel)
        }
        incrementCount(at: o + Self.sendCountField)
    }

    /// Records an open on `channel` at `t`. When it is the first response to the channel's last send,
    /// within `policy.attributionWindow`, that send is credited; returns its time.
    @discardableResult
    public mutating func recordOpen(
        _ channel: Channel, at t: Instant, zone: Zone, policy: EngagementPolicy = .standard
    ) -> Instant? {
        recordResponse(channel, at: t, zone: zone, policy: policy)
    }

    /// Records a click on `channel` at `t`; credits a send as ``recordOpen(_:at:zone:policy:)`` does.
    @discardableResult
    public mutating func recordClick(
        _ channel: Channel, at t: Instant, zone: Zone, policy: EngagementPolicy = .standard
    ) -> Instant? {
        recordResponse(channel, at: t, zone: zone, policy: policy)
    }

    /// Records one of the customer's own `track` events at `t`.
    public mutating func recordActivity(at t: Instant, zone: Zone, policy: EngagementPolicy = .standard) {
        prepare(at: t, policy: policy)
        let local = Self.local(t, zone)
        add(
            weight(t), bin: (local.weekend ? 24 : 0) + local.hour, start: Self.activityOffset, count: 48,
            exponentAt: Self.activityOffset + 48, seed: t.milliseconds)
    }

    private mutating func recordResponse(
        _ channel: Channel, at t: Instant, zone: Zone, policy: EngagementPolicy
    ) -> Instant? {
        prepare(at: t, policy: policy)
        let o = section(for: channel)
        let last = readInt32(o + Self.lastSendField)
        let sent = Instant(seconds: Int64(landmarkMinutes) * 60 + Int64(last))
        if last == Int32.min || t < sent || t.epochSeconds - sent.epochSeconds >= Self.immediateResponse {
            add(
                weight(t), bin: Self.local(t, zone).hour, start: o + Self.engagedBins, count: 24,
                exponentAt: o + Self.engagedExponent, seed: t.milliseconds)
        }
        let credited = Self.creditedBit(channel)
        guard last != Int32.min, bytes[1] & credited == 0 else { return nil }
        guard t >= sent, t < sent + policy.attributionWindow else { return nil }
        bytes[1] |= credited
        if t.epochSeconds - sent.epochSeconds < Self.immediateResponse {
            add(
                weight(sent), bin: 24 + Self.local(sent, zone).hour, start: o + Self.sendBins, count: 48,
                exponentAt: o + Self.sendExponent, seed: t.milliseconds)
        } else {
            // A late answer says when the customer reads (its open time, kept above), not that the send
            // hour works: it counts for the channel's rate only.
            add(
                weight(sent), bin: Self.local(sent, zone).hour, start: o + Self.lateBins, count: 24,
                exponentAt: o + Self.lateExponent, seed: t.milliseconds)
        }
        incrementCount(at: o + Self.responseCountField)
        return sent
    }

    // MARK: - Reading

    /// The factor that turns stored weights into weights as seen at `now`: `2^(−(now − landmark) / halfLife)`.
    public func decay(at now: Instant) -> Double {
        let h = halfLifeHours
        guard !bytes.isEmpty, h > 0 else { return 1 }
        let age = Double(now.milliseconds - Int64(landmarkMinutes) * 60_000)
        return exp2(-age / (Double(h) * 3_600_000))
    }

    /// The half-life the state was recorded with (`.zero` when decay is off or nothing is recorded).
    public var halfLife: TimeSpan { .hours(Int64(halfLifeHours)) }

    /// The channels with a section (a send, open or click recorded), in `Channel.allCases` order.
    public var channels: [Channel] { Channel.allCases.filter { channelOffset($0) != nil } }

    /// Decayed sends on `channel` by local send hour (24 values), as seen at `now`.
    public func sendHours(_ channel: Channel, at now: Instant) -> [Double] {
        guard let o = channelOffset(channel) else { return Self.zeros(24) }
        return values(start: o + Self.sendBins, count: 24, exponentAt: o + Self.sendExponent, now: now)
    }

    /// Decayed sends on `channel` that got a response within an hour, by local hour of the *send* (24
    /// values); later answers are in ``lateHours(_:at:)``.
    public func responseHours(_ channel: Channel, at now: Instant) -> [Double] {
        guard let o = channelOffset(channel) else { return Self.zeros(24) }
        return values(start: o + Self.responseBins, count: 24, exponentAt: o + Self.sendExponent, now: now)
    }

    /// Decayed opens and clicks on `channel` by their own local hour (24 values), except those within an
    /// hour of the channel's last send: those answer the send, whose hour the response bins already hold.
    public func engagedHours(_ channel: Channel, at now: Instant) -> [Double] {
        guard let o = channelOffset(channel) else { return Self.zeros(24) }
        return values(start: o + Self.engagedBins, count: 24, exponentAt: o + Self.engagedExponent, now: now)
    }

    /// Decayed activity by local hour: 24 weekday (Monday–Friday) hours, then 24 weekend hours.
    public func activityHours(at now: Instant) -> [Double] {
        guard !bytes.isEmpty else { return Self.zeros(48) }
        return values(start: Self.activityOffset, count: 48, exponentAt: Self.activityOffset + 48, now: now)
    }

    /// Decayed sends on `channel` that got a response only an hour or more later, by local hour of the
    /// *send* (24 values): such an answer says when the customer reads (its open time is kept), not that
    /// the send hour works — nor that it does not.
    public func lateHours(_ channel: Channel, at now: Instant) -> [Double] {
        guard let o = channelOffset(channel) else { return Self.zeros(24) }
        return values(start: o + Self.lateBins, count: 24, exponentAt: o + Self.lateExponent, now: now)
    }

    /// The customer's decayed evidence on `channel`: sends, and those that got a response (promptly or late).
    public func evidence(_ channel: Channel, at now: Instant) -> (sends: Double, responses: Double) {
        let sends = sendHours(channel, at: now).reduce(0, +)
        let responses =
            responseHours(channel, at: now).reduce(0, +) + lateHours(channel, at: now).reduce(0, +)
        return (sends, min(sends, responses))
    }

    /// Sends on `channel` and responses credited to them, ever (not decayed; saturating at 65 535).
    public func counts(_ channel: Channel) -> (sends: Int, responses: Int) {
        guard let o = channelOffset(channel) else { return (0, 0) }
        return (Int(readUInt16(o + Self.sendCountField)), Int(readUInt16(o + Self.responseCountField)))
    }

    /// Where in their hour the customer's sends fall, on average over about the last eight (minutes,
    /// 0..<60; 30 before any send): an hour's bins speak for sends at that point of the hour.
    public var sendMinute: Double {
        bytes.isEmpty ? 30 : Double(bytes[Self.sendMinuteField]) / 255 * 60
    }

    /// The channel's latest send while its answer may still come: not yet answered, and younger than
    /// `window` (the attribution window) at `now`. Its local hour in `zone` and its decayed weight as seen
    /// at `now` (what it added to ``sendHours(_:at:)``); `nil` when there is no such send.
    ///
    /// Until its window has passed such a send is not yet unanswered: a late answer may still come (and
    /// then it is neither a hit nor a miss for its hour), so a reader that counts unanswered sends leaves
    /// it out. Only the latest send can be pending: an earlier one can no longer be credited.
    public func pendingSend(_ channel: Channel, at now: Instant, window: TimeSpan, zone: Zone)
        -> (hour: Int, weight: Double)?
    {
        guard let sent = lastSend(channel) else { return nil }
        guard bytes[1] & Self.creditedBit(channel) == 0, now >= sent, now < sent + window else { return nil }
        return (Self.local(sent, zone).hour, weight(sent) * decay(at: now))
    }

    /// The bit of header byte 1 that says the channel's latest send has been credited with a response.
    private static func creditedBit(_ channel: Channel) -> UInt8 { 1 << (3 + channel.engagementIndex) }

    /// The channel's latest send, when one is recorded.
    public func lastSend(_ channel: Channel) -> Instant? {
        guard let o = channelOffset(channel) else { return nil }
        let last = readInt32(o + Self.lastSendField)
        return last == Int32.min ? nil : Instant(seconds: Int64(landmarkMinutes) * 60 + Int64(last))
    }
}

extension Engagement: Codable {
    /// Decodes the packed form (a base64 string with `JSONDecoder`). State in another form, such as the
    /// per-event lists of earlier versions, decodes as empty: engagement is a model, rebuilt by new events.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self), let data = Data(base64Encoded: text),
            let e = Engagement(packed: [UInt8](data))
        {
            self = e
        } else {
            self.init()
        }
    }

    /// Encodes ``bytes`` as one base64 string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Data(bytes).base64EncodedString())
    }
}
