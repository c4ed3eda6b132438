/// Streams the event file day by day.
///
/// Each day's sessions are generated into that day's buffer; an event that falls on a later day (a cart
/// recovered 1.5-72 h later, a delivery, an open on the next morning) goes into that later day's bucket, a
/// bucket queue keyed by day that plays the part of a min-heap (every event is put into the bucket of its own
/// day, and each bucket is sorted when its day is written). Memory is therefore O(events in flight) plus one
/// bit per customer; nothing is proportional to the number of events in the file.
struct Generator {
    /// Upper bounds on the events one session can produce, so no session runs past the file's track budget.
    static let cartMaxEvents = 15
    static let sendMaxEvents = 7

    /// Session start hours, Shanghai local time (the peers' generator's curve).
    static let sessionHourWeights = [
        2, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 7, 9, 8, 6, 6, 6, 7, 9, 12, 14, 14, 11, 6,
    ]
    static let dayMs: Int64 = 86_400_000

    let options: Options
    let catalogue: Catalogue
    /// Hash key for per-customer attributes.
    let profileKey: UInt64
    /// Hash key for `messageId`s.
    let idKey: UInt64
    var rng: Xoshiro256StarStar

    /// Number of track events to generate (lines minus one identify per customer).
    let trackBudget: Int
    /// Track events generated so far.
    private(set) var generatedTracks = 0

    // Customer activity: a Zipf-like rank (exponent 0.75), mapped to an id by an affine permutation so the
    // heavy users are spread over the ids. The permutation and the inverse-CDF sampler need no table.
    private let zipfRoot: Double
    private let activityPermutation: AffinePermutation
    /// Who is identified at a quiet moment of which day if they have not been active before it.
    private let fallbackPermutation: AffinePermutation

    private var identified: [UInt64]
    private var today: [EventRecord] = []
    private var order: [UInt64] = []
    private var currentDay = 0
    private var pending: [Int: [EventRecord]] = [:]
    private var firstSeenIndex: [UInt32: Int] = [:]
    private var firstSeen: [(user: UInt32, start: Int64)] = []
    private var nextCart: UInt64 = 1
    private var nextMessage: UInt64 = 1
    private let sessionHourTotal = Generator.sessionHourWeights.reduce(0, +)

    /// Events written per kind.
    private(set) var counts = [Int](repeating: 0, count: EventKind.allCases.count)
    /// Lines written.
    private(set) var written = 0
    /// Most events held in memory at once (today's buffer plus later days' buckets).
    private(set) var peakHeld = 0
    private var held = 0
    /// Model counters for the summary.
    var stats = Stats()

    /// Counters of the behaviour model, reported in the summary.
    struct Stats {
        var sessions = 0
        var carts = 0
        var abandonedInSession = 0
        var recoveredLater = 0
        var paymentFailures = 0
        var sends = 0
    }

    /// Prepares a run; nothing is generated until `run(into:)`.
    init(options: Options) {
        self.options = options
        catalogue = Catalogue(count: options.products, seed: options.seed)
        profileKey = SplitMix64.mix(options.seed ^ 0x5EED_C057_0000_0000)
        idKey = SplitMix64.mix(options.seed ^ 0x1D1D_1D1D_0000_0000)
        rng = Xoshiro256StarStar(seed: options.seed)
        trackBudget = options.events - options.customers
        zipfRoot = Double(options.customers + 1).squareRoot().squareRoot()
        activityPermutation = AffinePermutation(
            count: options.customers, key: SplitMix64.mix(options.seed ^ 0xA11C))
        fallbackPermutation = AffinePermutation(
            count: options.customers, key: SplitMix64.mix(options.seed ^ 0xFA11))
        identified = [UInt64](repeating: 0, count: (options.customers + 63) / 64)
    }

    /// Generates and writes every line.
    mutating func run(into out: inout OutputFile) throws(OutputFile.Failure) {
        var day = 0
        while day < options.days || !pending.isEmpty {
            currentDay = day
            today.removeAll(keepingCapacity: true)
            if let bucket = pending.removeValue(forKey: day) { today.append(contentsOf: bucket) }
            if day < options.days {
                generateSessions(day: day)
                identifyNewcomers(day: day)
            }
            for index in sortedOrder() {
                encode(today[index], into: &out.buffer)
                try out.flushIfFull()
            }
            held -= today.count
            day += 1
        }
        precondition(written == options.events, "wrote \(written) lines, expected \(options.events)")
    }

    /// Today's buffer in (time, identify first, generation) order, as indexes. The buffer is already in
    /// generation order (a later day's bucket only ever receives appends), so the index breaks ties in
    /// generation order; the packed keys are distinct, so the order does not depend on the sort algorithm.
    private mutating func sortedOrder() -> [Int] {
        let base = dayStart << 1
        order.removeAll(keepingCapacity: true)
        for (index, record) in today.enumerated() {
            // Under 2^28 keys in a day, and fewer than 2^32 events in one day's buffer.
            order.append(UInt64(record.key - base) << 32 | UInt64(index))
        }
        order.sort()
        return order.map { Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
    }

    // MARK: - Days

    private var dayStart: Int64 { options.startMs + Int64(currentDay) * Self.dayMs }

    private mutating func generateSessions(day: Int) {
        let target = trackBudget * (day + 1) / options.days
        while generatedTracks < target {
            // Room left in the whole file, not in the day: a session may run past the day's share (the next
            // day makes up for it), but never past the total, so the line count stays exact.
            let room = trackBudget - generatedTracks
            let start = sessionStart()
            stats.sessions += 1
            let x = rng.unit()
            if x < 0.22 && room >= Self.cartMaxEvents {
                cartSession(user: pickActive(), start: start)
            } else if x < 0.62 || (x < 0.994 && room < Self.sendMaxEvents) {
                let user = pickActive()
                begin(user, start)
                browse(user: user, start: start, cap: min(room, 15))
            } else if x < 0.994 {
                // Half the sends go to anyone on the list, half follow activity (engaged customers get more
                // campaigns), so the heavier users carry enough opens for per-customer timing to be learnt.
                sendSession(user: rng.chance(0.5) ? pickActive() : rng.below(options.customers), start: start)
            } else {
                consentSession(user: pickActive(), start: start)
            }
        }
    }

    /// Identifies, just before its first session, each customer active today for the first time, then those
    /// whose quiet-moment fallback falls today; each customer is identified exactly once.
    private mutating func identifyNewcomers(day: Int) {
        for entry in firstSeen {
            identify(Int(entry.user), at: max(dayStart, entry.start - rng.ms(1000, 600_000)))
        }
        firstSeen.removeAll(keepingCapacity: true)
        firstSeenIndex.removeAll(keepingCapacity: true)
        let customers = options.customers
        let lower = customers * day / options.days
        let upper = customers * (day + 1) / options.days
        for slot in lower..<upper {
            let user = fallbackPermutation.map(slot)
            if !isIdentified(user) {
                identify(user, at: dayStart + CustomerProfile(index: user, key: profileKey).fallbackMs)
            }
        }
    }

    private mutating func identify(_ user: Int, at time: Int64) {
        identified[user >> 6] |= 1 << UInt64(user & 63)
        put(time, .identify, user)
        let profile = CustomerProfile(index: user, key: profileKey)
        if profile.isNew && generatedTracks < trackBudget {
            put(time + 1000, .signedUp, user, detail: profile.signUpMethod)
        }
    }

    private func isIdentified(_ user: Int) -> Bool {
        identified[user >> 6] & (1 << UInt64(user & 63)) != 0
    }

    // MARK: - Draws

    /// A session start on the current day, on the diurnal curve.
    private mutating func sessionStart() -> Int64 {
        var pick = rng.below(sessionHourTotal)
        var localHour = 0
        while pick >= Self.sessionHourWeights[localHour] {
            pick -= Self.sessionHourWeights[localHour]
            localHour += 1
        }
        let utcHour = (localHour + 16) % 24
        // The window's days begin at `--start`, which need not be a UTC midnight: place the UTC hour inside it.
        let sinceMidnight = Int64(utcHour) * 3_600_000 + Int64(rng.below(3_600_000))
        let shift = options.startMs % Self.dayMs
        return dayStart + (sinceMidnight - shift + Self.dayMs) % Self.dayMs
    }

    /// A customer drawn by activity: rank k with weight about (k+1)^-0.75, by inverting the continuous CDF.
    /// Only `squareRoot` and products are used, which IEEE 754 rounds the same way everywhere.
    private mutating func pickActive() -> Int {
        let x = 1 + rng.unit() * (zipfRoot - 1)
        let x2 = x * x
        let rank = min(max(Int(x2 * x2) - 1, 0), options.customers - 1)
        return activityPermutation.map(rank)
    }

    /// Notes the start of a session, so a not-yet-identified customer is identified just before it.
    mutating func begin(_ user: Int, _ start: Int64) {
        if isIdentified(user) { return }
        let key = UInt32(user)
        if let index = firstSeenIndex[key] {
            firstSeen[index].start = min(firstSeen[index].start, start)
        } else {
            firstSeenIndex[key] = firstSeen.count
            firstSeen.append((key, start))
        }
    }

    /// Allocates a cart number (shared by its `c-`, `k-` and `o-` ids).
    mutating func newCart() -> UInt64 {
        defer { nextCart += 1 }
        return nextCart
    }

    /// Allocates a campaign-send number (`m-` id).
    mutating func newMessage() -> UInt64 {
        defer { nextMessage += 1 }
        return nextMessage
    }

    /// The profile of a customer.
    func profile(_ user: Int) -> CustomerProfile {
        CustomerProfile(index: user, key: profileKey)
    }

    /// Queues an event on the day its time falls in (today or later; never earlier).
    mutating func put(
        _ time: Int64, _ kind: EventKind, _ user: Int, id: UInt64 = 0, items: Items = Items(),
        campaign: Int = 0,
        detail: UInt8 = 0
    ) {
        let record = EventRecord(
            key: time << 1 | (kind == .identify ? 0 : 1), id: id, items: items, user: UInt32(user),
            campaign: UInt16(campaign), kind: kind, detail: detail)
        if kind != .identify { generatedTracks += 1 }
        let day = Int((time - options.startMs) / Self.dayMs)
        precondition(day >= currentDay && time >= options.startMs, "event before the day being written")
        if day == currentDay {
            today.append(record)
        } else {
            pending[day, default: []].append(record)
        }
        held += 1
        if held > peakHeld { peakHeld = held }
    }

    /// Counts a written line; called by the encoder.
    mutating func didWrite(_ kind: EventKind) {
        counts[Int(kind.rawValue)] += 1
        written += 1
    }
}

/// x -> (a·x + b) mod n with gcd(a, n) = 1: a bijection of 0..<n that needs no table.
struct AffinePermutation {
    private let count: UInt64
    private let a: UInt64
    private let b: UInt64

    /// A permutation of `0..<count` chosen by `key`.
    init(count: Int, key: UInt64) {
        let n = UInt64(count)
        var a = 1 + key % n
        func gcd(_ x: UInt64, _ y: UInt64) -> UInt64 { y == 0 ? x : gcd(y, x % y) }
        while gcd(a, n) != 1 { a = a % n + 1 }
        self.count = n
        self.a = a
        b = SplitMix64.mix(key) % n
    }

    /// The image of `x` (in `0..<count`).
    func map(_ x: Int) -> Int {
        // a < n < 2^31 and x < n, so the product fits in 64 bits.
        Int((a * UInt64(x) + b) % count)
    }
}
