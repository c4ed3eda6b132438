import TouchpointCore

/// Local hour-of-week slots: `weekday * 24 + hour`, Monday 00:00 is slot 0, Sunday 23:00 slot 167.
enum HourOfWeek {
    /// Slots in a week.
    static let count = 168

    /// The local slot of `instant` in `zone`.
    static func slot(_ instant: Instant, in zone: Zone) -> Int {
        let f = zone.fields(instant)
        return f.weekday * 24 + f.hour
    }
}

extension Channel {
    /// A dense index for per-channel arrays; a new channel case must pick its number here.
    var slotIndex: Int {
        switch self {
        case .email: 0
        case .sms: 1
        case .chat: 2
        }
    }
}
