/// A customer's fixed attributes, recomputed on demand from a hash of (seed, customer index), so the
/// generator stores nothing per customer but one "identified" bit.
struct CustomerProfile {
    /// A time zone the customers live in: IANA name, locale, standard UTC offset, share in percent.
    struct Zone {
        let name: String
        let locale: String
        let offsetHours: Int
        let percent: Int
    }

    /// The peers' generator's mix. Preferred open hours use the standard offset (DST is ignored).
    static let zones = [
        Zone(name: "Asia/Shanghai", locale: "zh-CN", offsetHours: 8, percent: 86),
        Zone(name: "Asia/Hong_Kong", locale: "zh-HK", offsetHours: 8, percent: 4),
        Zone(name: "Asia/Taipei", locale: "zh-TW", offsetHours: 8, percent: 3),
        Zone(name: "Asia/Singapore", locale: "en-SG", offsetHours: 8, percent: 3),
        Zone(name: "America/Los_Angeles", locale: "en-US", offsetHours: -8, percent: 2),
        Zone(name: "Europe/London", locale: "en-GB", offsetHours: 0, percent: 2),
    ]

    /// Local hours at which customers like to read messages: nothing at night, a lunch bump, an evening peak.
    static let openHourWeights = [0, 0, 0, 0, 0, 0, 1, 3, 5, 4, 3, 4, 7, 5, 3, 3, 3, 4, 6, 9, 11, 10, 7, 2]
    private static let openHourTotal = openHourWeights.reduce(0, +)

    /// Chinese mobile prefixes, as in the peers' generator.
    static let mobilePrefixes = [
        "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
        "158",
        "159", "166", "177", "180", "181", "186", "187", "188", "189", "191", "199",
    ]
    static let englishNames = [
        "Alex", "Sam", "Emma", "Olivia", "Jake", "Mia", "Noah", "Lily", "Ethan", "Chloe",
    ]

    /// Index into `zones`.
    let zone: Int
    /// Has an `email` trait (most do; everyone without phone and chat has one).
    let hasEmail: Bool
    /// Has a `phone` trait.
    let hasPhone: Bool
    /// Has a `chat_id` trait.
    let hasChat: Bool
    /// Random digits for the phone number and chat id.
    let digits: UInt64
    /// Minute of the UTC day around which this customer opens messages that are not opened at once.
    let openMinuteUTC: Int
    /// Multiplier of the channel's base open rate: a few eager readers, many who rarely open.
    let openFactor: Double
    /// Signs up inside the window (sends `Signed Up` right after its `identify`).
    let isNew: Bool
    /// `Signed Up` method: 0 email, 1 phone, 2 chat.
    let signUpMethod: UInt8
    /// For customers who are not new: days between `createdAt` and the identify.
    let createdDaysBefore: Int
    /// Where in its fallback day the customer is identified if it has done nothing before.
    let fallbackMs: Int64

    /// Derives the profile of customer `index` under `key` (a hash of the seed).
    init(index: Int, key: UInt64) {
        var hash = SplitMix64(state: SplitMix64.mix(key ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93)))
        func below(_ n: Int) -> Int {
            Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: hash.next()).high)
        }
        var pick = below(100)
        var zone = 0
        while pick >= Self.zones[zone].percent {
            pick -= Self.zones[zone].percent
            zone += 1
        }
        self.zone = zone
        hasPhone = below(100) < 75
        hasChat = below(100) < 15
        hasEmail = below(100) < 95 || (!hasPhone && !hasChat)
        digits = hash.next()
        var hourPick = below(Self.openHourTotal)
        var localHour = 0
        while hourPick >= Self.openHourWeights[localHour] {
            hourPick -= Self.openHourWeights[localHour]
            localHour += 1
        }
        let localMinute = localHour * 60 + below(60)
        openMinuteUTC = ((localMinute - Self.zones[zone].offsetHours * 60) % 1440 + 1440) % 1440
        let tier = below(100)
        openFactor = tier < 40 ? 0.3 : (tier < 85 ? 1.0 : 1.8)
        isNew = below(100) < 20
        let method = below(100)
        if hasChat && method < 30 {
            signUpMethod = 2
        } else if hasPhone && (method < 60 || !hasEmail) {
            signUpMethod = 1
        } else {
            signUpMethod = 0
        }
        createdDaysBefore = 1 + below(400)
        fallbackMs = Int64(below(86_400_000))
    }

    /// The zone's entry.
    var zoneInfo: Zone { Self.zones[zone] }

    /// Whether the customer can be reached on `channel`.
    func reachable(_ channel: Channel) -> Bool {
        switch channel {
        case .email: hasEmail
        case .sms: hasPhone
        case .chat: hasChat
        case .all: true
        }
    }
}
