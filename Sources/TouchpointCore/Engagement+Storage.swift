import Foundation

// The packed layout behind `Engagement`: offsets, block-floating-point bins, forward-decay landmark.
extension Engagement {
    static let version: UInt8 = 3
    /// Where the send-minute byte sits; version 1 had no such byte (``Engagement/init(packed:)`` inserts it).
    static let sendMinuteField = 9
    static let activityOffset = 10
    static let channelsOffset = 59
    /// A byte that changes with every addition, so identical events still round independently.
    static let ditherField = 8
    static let channelSize = 107
    static let lastSendField = 0
    static let sendCountField = 4
    static let responseCountField = 6
    static let sendBins = 8
    static let responseBins = 32
    static let sendExponent = 56
    static let engagedBins = 57
    static let engagedExponent = 81
    /// Sends answered only an hour or more later, by local send hour (24 mantissas, their exponent).
    static let lateBins = 82
    static let lateExponent = 106
    /// The send-minute byte before any send: the middle of the hour.
    static let noSendMinute: UInt8 = 128
    /// The exponent of a histogram that holds nothing yet.
    static let emptyExponent = UInt8(bitPattern: Int8.min)
    /// An open or click this soon after the channel's last send answers that send: its hour is the send's
    /// (already in the response bins), so it is not kept as an open time — raw open times would otherwise
    /// echo one's own sending schedule.
    static let immediateResponse: Int64 = 3600
    /// The landmark moves once events are this many half-lives after it, keeping weights and exponents small.
    static let rebaseAfter: Int64 = 16

    static func zeros(_ n: Int) -> [Double] { [Double](repeating: 0, count: n) }

    var halfLifeHours: Int { bytes.isEmpty ? 0 : Int(readUInt16(2)) }
    var landmarkMinutes: Int32 { bytes.isEmpty ? 0 : readInt32(4) }

    /// Local hour and whether it is a Saturday or Sunday, from the zone's offset alone (no calendar).
    static func local(_ t: Instant, _ zone: Zone) -> (hour: Int, weekend: Bool) {
        let local = t.epochSeconds + Int64(zone.offset(at: t))
        var days = local / 86_400
        if local % 86_400 < 0 { days -= 1 }
        let rem = local - days * 86_400
        // 1970-01-01 was a Thursday; weekday 0 = Monday.
        let weekday = ((days + 3) % 7 + 7) % 7
        return (Int(rem / 3600), weekday >= 5)
    }

    /// Starts the header on the first event and moves the landmark when `t` is far past it.
    mutating func prepare(at t: Instant, policy: EngagementPolicy) {
        if bytes.isEmpty {
            bytes = [UInt8](repeating: 0, count: Self.channelsOffset)
            bytes[0] = Self.version
            bytes[Self.sendMinuteField] = Self.noSendMinute
            let s = policy.halfLife.seconds
            writeUInt16(2, s <= 0 ? 0 : UInt16(clamping: max(1, (s + 1800) / 3600)))
            var minutes = t.epochSeconds / 60
            if t.epochSeconds % 60 < 0 { minutes -= 1 }
            writeInt32(4, Int32(clamping: minutes))
            bytes[Self.activityOffset + 48] = Self.emptyExponent
            return
        }
        let h = Int64(halfLifeHours) * 60
        guard h > 0 else { return }
        let ahead = t.epochSeconds / 60 - Int64(landmarkMinutes)
        if ahead >= Self.rebaseAfter * h { rebase(by: ahead / h) }
    }

    /// Moves the landmark `k` half-lives later: every stored weight halves `k` times, i.e. exponents drop by `k`.
    private mutating func rebase(by k: Int64) {
        let h = Int64(halfLifeHours)
        writeInt32(4, Int32(clamping: Int64(landmarkMinutes) + k * h * 60))
        shift(start: Self.activityOffset, count: 48, exponentAt: Self.activityOffset + 48, by: k)
        for c in Channel.allCases {
            guard let o = channelOffset(c) else { continue }
            shift(start: o + Self.sendBins, count: 48, exponentAt: o + Self.sendExponent, by: k)
            shift(start: o + Self.engagedBins, count: 24, exponentAt: o + Self.engagedExponent, by: k)
            shift(start: o + Self.lateBins, count: 24, exponentAt: o + Self.lateExponent, by: k)
            let last = readInt32(o + Self.lastSendField)
            if last != Int32.min {
                let moved = Int64(last) - k * h * 3600
                writeInt32(o + Self.lastSendField, moved <= Int64(Int32.min) ? Int32.min : Int32(moved))
            }
        }
    }

    private mutating func shift(start: Int, count: Int, exponentAt e: Int, by k: Int64) {
        guard bytes[e] != Self.emptyExponent else { return }
        let moved = Int64(Int8(bitPattern: bytes[e])) - k
        if moved < -127 {
            for j in start..<(start + count) { bytes[j] = 0 }
            bytes[e] = Self.emptyExponent
        } else {
            bytes[e] = UInt8(bitPattern: Int8(moved))
        }
    }

    /// The stored weight of an event at `t`: `2^((t − landmark) / halfLife)`, 1 without decay.
    func weight(_ t: Instant) -> Double {
        let h = halfLifeHours
        guard h > 0 else { return 1 }
        let age = Double(t.milliseconds - Int64(landmarkMinutes) * 60_000)
        return exp2(age / (Double(h) * 3_600_000))
    }

    /// Adds `w` to one bin of a histogram of `count` mantissas starting at `start`.
    ///
    /// The new mantissa is rounded up or down at random in proportion to the fraction (stochastic
    /// rounding), so the expected value is exact even once one event is smaller than a mantissa step: a
    /// heavy bin keeps counting and a light one is not rounded away. The "random" number is a hash of
    /// `seed` (the event's time), the bin and its mantissa: the same events give the same state.
    mutating func add(_ w: Double, bin: Int, start: Int, count: Int, exponentAt eo: Int, seed: Int64) {
        guard w > 0, w.isFinite else { return }
        var e: Int
        if bytes[eo] == Self.emptyExponent {
            // A first observation lands at 64–128 in mantissa units: fine resolution while counts are few.
            e = max(-127, min(127, Int(log2(w).rounded(.down)) - 6))
        } else {
            e = Int(Int8(bitPattern: bytes[eo]))
        }
        var scale = exp2(Double(e))
        let v = Double(bytes[start + bin]) * scale + w
        while v / scale > 255.5, e < 127 {
            for j in start..<(start + count) {
                let m = bytes[j]
                // Halve, rounding half to even, so small bins fade instead of sticking at 1.
                bytes[j] = (m >> 1) + (m & 1 & (m >> 1))
            }
            e += 1
            scale *= 2
        }
        let exact = v / scale
        let down = exact.rounded(.down)
        bytes[Self.ditherField] &+= 1
        let mix =
            UInt64(bitPattern: seed) ^ UInt64(bin) << 56 ^ UInt64(bytes[start + bin]) << 48
            ^ UInt64(bytes[Self.ditherField]) << 40
        bytes[start + bin] = UInt8(min(255, exact - down > Self.unitHash(mix) ? down + 1 : down))
        bytes[eo] = UInt8(bitPattern: Int8(e))
    }

    /// A deterministic number in `[0, 1)` from `x` (the SplitMix64 finaliser).
    static func unitHash(_ x: UInt64) -> Double {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / 9_007_199_254_740_992
    }

    /// A histogram's values as seen at `now`.
    func values(start: Int, count: Int, exponentAt eo: Int, now: Instant) -> [Double] {
        guard bytes[eo] != Self.emptyExponent else { return Self.zeros(count) }
        let scale = exp2(Double(Int8(bitPattern: bytes[eo]))) * decay(at: now)
        var out = [Double](repeating: 0, count: count)
        for j in 0..<count { out[j] = Double(bytes[start + j]) * scale }
        return out
    }

    /// Where `channel`'s section starts, when it has one.
    func channelOffset(_ channel: Channel) -> Int? {
        guard !bytes.isEmpty else { return nil }
        let bit = UInt8(1) << channel.engagementIndex
        guard bytes[1] & bit != 0 else { return nil }
        return Self.channelsOffset + Int(bytes[1] & (bit - 1)).nonzeroBitCount * Self.channelSize
    }

    /// `channel`'s section, inserted (empty) when it has none yet.
    mutating func section(for channel: Channel) -> Int {
        if let o = channelOffset(channel) { return o }
        let bit = UInt8(1) << channel.engagementIndex
        let o = Self.channelsOffset + Int(bytes[1] & (bit - 1)).nonzeroBitCount * Self.channelSize
        var fresh = [UInt8](repeating: 0, count: Self.channelSize)
        fresh[Self.sendExponent] = Self.emptyExponent
        fresh[Self.engagedExponent] = Self.emptyExponent
        fresh[Self.lateExponent] = Self.emptyExponent
        // Built at its exact size: growing in place would double the buffer.
        var grown = [UInt8]()
        grown.reserveCapacity(bytes.count + Self.channelSize)
        grown.append(contentsOf: bytes[..<o])
        grown.append(contentsOf: fresh)
        grown.append(contentsOf: bytes[o...])
        bytes = grown
        bytes[1] |= bit
        writeInt32(o + Self.lastSendField, Int32.min)
        return o
    }

    /// Moves the mean position of sends within their hour towards `t`'s (an exponential average over about
    /// the last eight sends; the first send sets it).
    mutating func recordSendMinute(_ t: Instant, zone: Zone, firstSend: Bool) {
        var into = (t.epochSeconds + Int64(zone.offset(at: t))) % 3600
        if into < 0 { into += 3600 }
        let x = Double(into) / 3600 * 255
        let old = Double(bytes[Self.sendMinuteField])
        let new = firstSend ? x : old + (x - old) / 8
        bytes[Self.sendMinuteField] = UInt8(max(0, min(255, new.rounded())))
    }

    mutating func incrementCount(at i: Int) {
        let n = readUInt16(i)
        if n < UInt16.max { writeUInt16(i, n + 1) }
    }

    func readUInt16(_ i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }

    mutating func writeUInt16(_ i: Int, _ v: UInt16) {
        bytes[i] = UInt8(truncatingIfNeeded: v)
        bytes[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    func readInt32(_ i: Int) -> Int32 {
        Int32(
            bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16
                | UInt32(bytes[i + 3]) << 24)
    }

    mutating func writeInt32(_ i: Int, _ v: Int32) {
        let u = UInt32(bitPattern: v)
        for k in 0..<4 { bytes[i + k] = UInt8(truncatingIfNeeded: u >> (8 * k)) }
    }
}

extension Channel {
    /// A dense index for the packed engagement layout; a new channel case must pick its number here
    /// (the flags byte has room for three channels).
    var engagementIndex: Int {
        switch self {
        case .email: 0
        case .sms: 1
        case .chat: 2
        }
    }
}
