import TouchpointCore

@testable import Scheduler

/// The instant of an ISO 8601 text; tests only pass valid literals.
func at(_ text: String) -> Instant {
    guard let ts = ISO8601.parse(text) else { fatalError("bad test timestamp \(text)") }
    return ts.instant
}

/// A customer with the given addresses and timezone.
func customer(
    email: String? = "a@example.com", phone: String? = nil, chat: String? = nil, timezone: String? = nil
) -> Customer {
    var traits: [String: JSONValue] = [:]
    if let email { traits["email"] = .string(email) }
    if let phone { traits["phone"] = .string(phone) }
    if let chat { traits["chat_id"] = .string(chat) }
    if let timezone { traits["timezone"] = .string(timezone) }
    return Customer(id: "u1", traits: traits)
}

/// A scheduler with Shanghai as the default zone and the given quiet hours, cap, half-life and exploration.
func scheduler(
    quiet: String? = nil, cap: FrequencyCap? = nil, halfLife: TimeSpan = .days(30), exploration: Double = 0.25
) -> Scheduler {
    Scheduler(
        settings: SchedulerSettings(
            quietHours: quiet.flatMap(QuietHours.init(parsing:)), defaultZone: Zone("Asia/Shanghai")!,
            frequencyCap: cap, halfLife: halfLife, exploration: exploration))
}

/// A request with sensible defaults for tests.
func request(
    id: String = "m1", rule: String = "r", channels: [Channel] = [.email], due: Instant,
    within: TimeSpan = .zero, transactional: Bool = false, oncePer: TimeSpan? = nil
) -> SendRequest {
    SendRequest(
        messageId: id, rule: rule, candidates: channels, due: due, within: within,
        transactional: transactional,
        oncePer: oncePer)
}

extension ScheduleDecision {
    /// The channel of a send, else `nil`.
    var channel: Channel? {
        if case .send(let c, _, _) = self { return c }
        return nil
    }

    /// The send time of a send, else `nil`.
    var sendAt: Instant? {
        if case .send(_, let t, _) = self { return t }
        return nil
    }
}

/// The local wall time of `instant` in `zone` as `HH:MM`.
func localTime(_ instant: Instant?, _ zone: String) -> String? {
    guard let instant else { return nil }
    let f = Zone(zone)!.fields(instant)
    return (f.hour < 10 ? "0" : "") + "\(f.hour):" + (f.minute < 10 ? "0" : "") + "\(f.minute)"
}

/// How the tests' customers record engagement: Shanghai hours, the test scheduler's 30-day half-life.
let testPolicy = EngagementPolicy(
    halfLife: .days(30), attributionWindow: .days(3), defaultZone: Zone("Asia/Shanghai")!)

extension Engagement {
    /// A send recorded the way the test scheduler reads it (``testPolicy``, Shanghai hours unless `zone`).
    mutating func recordSend(_ channel: Channel, at t: Instant, in zone: Zone? = nil) {
        recordSend(channel, at: t, zone: zone ?? testPolicy.defaultZone, policy: testPolicy)
    }

    /// An open recorded with ``testPolicy``.
    mutating func recordOpen(_ channel: Channel, at t: Instant, in zone: Zone? = nil) {
        recordOpen(channel, at: t, zone: zone ?? testPolicy.defaultZone, policy: testPolicy)
    }

    /// A click recorded with ``testPolicy``.
    mutating func recordClick(_ channel: Channel, at t: Instant, in zone: Zone? = nil) {
        recordClick(channel, at: t, zone: zone ?? testPolicy.defaultZone, policy: testPolicy)
    }

    /// Activity recorded with ``testPolicy``.
    mutating func recordActivity(at t: Instant, in zone: Zone? = nil) {
        recordActivity(at: t, zone: zone ?? testPolicy.defaultZone, policy: testPolicy)
    }
}
