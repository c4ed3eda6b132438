import TouchpointCore

extension Customer {
    /// The `track` event names whose `properties` ``apply(_:policy:)`` reads (`channel`, `machine`,
    /// `message_id`, `address`, `type`); every other event's it never looks at.
    public static let eventsReadingProperties: Set<String> = [
        WellKnownEvent.unsubscribed, WellKnownEvent.subscribed, WellKnownEvent.messageSent,
        WellKnownEvent.messageOpened, WellKnownEvent.messageClicked, WellKnownEvent.emailOpened,
        WellKnownEvent.emailLinkClicked, WellKnownEvent.messageBounced, WellKnownEvent.emailBounced,
        WellKnownEvent.complaintReceived, WellKnownEvent.emailMarkedAsSpam, WellKnownEvent.messageDelivered,
    ]

    /// Applies one decoded event to the profile (SPEC §1) and says what happened.
    ///
    /// - `identify` merges traits (later values win, `null` removes).
    /// - `Unsubscribed` / `Subscribed` with `properties.channel` `email`, `sms`, `chat` or `all` switch
    ///   consent off / on. `Subscribed` to `all` clears every opt-out. `Subscribed` to one channel while
    ///   opted out of `all` turns the blanket opt-out into opt-outs of the other channels, so the
    ///   explicit re-subscription wins without re-enabling anything else.
    /// - `Message Sent` / `Message Opened` / `Message Clicked` with `properties.channel` record a
    ///   send / open / click; `Email Opened` and `Email Link Clicked` are opens and clicks on email.
    /// - An open or click with `properties.machine: true` is not engagement (a proxy or scanner fetched
    ///   it, not a person): ``EventEffect/machineEngagement(_:_:)``.
    /// - `Message Bounced` (`properties.type` `hard`, the default, or `soft`) and `Email Bounced`, and
    ///   `Complaint Received` / `Email Marked as Spam`, on `properties.channel` (default `email`) for the
    ///   address in `properties.address` (default: the customer's current one): a hard bounce or a
    ///   complaint blocks that address on that channel for good; soft bounces block it after
    ///   ``Customer/softBounceLimit`` in a row. A delivery, open or click on the channel ends a run.
    /// - A consent or engagement event without a usable channel changes nothing and reports
    ///   ``EventEffect/unknownChannel(event:channel:)``.
    /// - Any other `track` event outside ``WellKnownEvent/nonActivity`` is activity: ``lastActivity``
    ///   becomes the later of itself and the event time, and the time is recorded in ``engagement``.
    ///
    /// Engagement and activity are recorded with `policy` (half-life, attribution window), in the
    /// customer's local hours (`timezone` trait, else `policy.defaultZone`).
    ///
    /// Channel names are matched case-insensitively. The event's `userId` is not checked against ``id``:
    /// routing events to profiles is the caller's job.
    public mutating func apply(_ event: Event, policy: EngagementPolicy = .standard) -> EventEffect {
        var zone: Zone? = nil
        return apply(event, policy: policy, zone: &zone)
    }

    /// ``apply(_:policy:)``, setting `zone` to the customer's zone when it looked it up (to record engagement
    /// or activity): `policy.zone(for:)` of the profile as the event leaves it, which a caller that needs it
    /// too then need not look up again.
    public mutating func apply(_ event: Event, policy: EngagementPolicy, zone: inout Zone?) -> EventEffect {
        switch event.kind {
        case .identify:
            return applyIdentify(event.traits)
        case .other:
            return .ignored
        case .track:
            break
        }
        let name = event.name ?? ""
        let at = event.instant
        // Most events are none of the well-known ones, and a filter says so without comparing the name with
        // each of them in turn (the switch below) and hashing it (`nonActivity`).
        guard Customer.wellKnown.mayContain(name) else {
            return recordActivity(at: at, policy: policy, zone: &zone)
        }
        switch name {
        case WellKnownEvent.unsubscribed, WellKnownEvent.subscribed:
            let subscribed = name == WellKnownEvent.subscribed
            let value = event.properties["channel"]
            guard let scope = Self.consentScope(value) else {
                return .unknownChannel(event: name, channel: value)
            }
            setConsent(scope, subscribed: subscribed)
            return .consent(scope, subscribed: subscribed)
        case WellKnownEvent.messageSent, WellKnownEvent.messageOpened, WellKnownEvent.messageClicked:
            let value = event.properties["channel"]
            guard case .channel(let channel)? = Self.consentScope(value) else {
                return .unknownChannel(event: name, channel: value)
            }
            let kind: EngagementKind =
                name == WellKnownEvent.messageSent
                ? .sent : name == WellKnownEvent.messageOpened ? .opened : .clicked
            return recordEngagement(kind, channel, at: at, event: event, policy: policy, zone: &zone)
        case WellKnownEvent.emailOpened:
            return recordEngagement(.opened, .email, at: at, event: event, policy: policy, zone: &zone)
        case WellKnownEvent.emailLinkClicked:
            return recordEngagement(.clicked, .email, at: at, event: event, policy: policy, zone: &zone)
        case WellKnownEvent.messageBounced, WellKnownEvent.emailBounced, WellKnownEvent.complaintReceived,
            WellKnownEvent.emailMarkedAsSpam:
            return applyBounce(event, named: name)
        case WellKnownEvent.messageDelivered:
            if case .channel(let channel)? = Self.consentScope(event.properties["channel"]) {
                softBounces.removeValue(forKey: channel)
            }
            return .ignored
        default:
            if WellKnownEvent.nonActivity.contains(name) { return .ignored }
            return recordActivity(at: at, policy: policy, zone: &zone)
        }
    }

    /// Every name the switch in ``apply(_:policy:zone:)`` handles (``eventsReadingProperties``) or
    /// ``WellKnownEvent/nonActivity`` knows: built from both, so a name the switch gains is never routed
    /// past it as activity.
    static let wellKnown = EventNameFilter(WellKnownEvent.nonActivity.union(eventsReadingProperties))

    /// A `track` event that counts as activity: `lastActivity` and the engagement model.
    private mutating func recordActivity(at: Instant, policy: EngagementPolicy, zone: inout Zone?)
        -> EventEffect
    {
        lastActivity = max(lastActivity ?? at, at)
        let local = policy.zone(for: self)
        zone = local
        engagement.recordActivity(at: at, zone: local, policy: policy)
        return .activity
    }

    private mutating func applyIdentify(_ new: [String: JSONValue]) -> EventEffect {
        var changed: [String] = []
        for (key, value) in new where value.isNull ? traits[key] != nil : traits[key] != value {
            changed.append(key)
        }
        merge(traits: new)
        return .identified(changed: changed.sorted())
    }

    private mutating func setConsent(_ scope: ConsentScope, subscribed: Bool) {
        switch (scope, subscribed) {
        case (.all, false):
            optedOutAll = true
        case (.all, true):
            optedOutAll = false
            optedOut.removeAll()
        case (.channel(let channel), false):
            optedOut.insert(channel)
        case (.channel(let channel), true):
            if optedOutAll {
                optedOutAll = false
                optedOut.formUnion(Channel.allCases)
            }
            optedOut.remove(channel)
        }
    }

    private mutating func applyBounce(_ event: Event, named name: String) -> EventEffect {
        let value = event.properties["channel"] ?? .string(Channel.email.rawValue)
        guard case .channel(let channel)? = Self.consentScope(value) else {
            return .unknownChannel(event: name, channel: value)
        }
        guard let address = event.properties["address"]?.stringValue ?? self.address(for: channel) else {
            return .ignored
        }
        if name == WellKnownEvent.complaintReceived || name == WellKnownEvent.emailMarkedAsSpam {
            blockedAddresses[channel, default: []].insert(address)
            softBounces.removeValue(forKey: channel)
            return .complaint(channel)
        }
        if event.properties["type"]?.stringValue?.lowercased() == "soft" {
            var run = softBounces[channel] ?? SoftBounceRun(address: address, count: 0)
            if run.address != address { run = SoftBounceRun(address: address, count: 0) }
            run.count += 1
            guard run.count >= Customer.softBounceLimit else {
                softBounces[channel] = run
                return .bounce(channel, hard: false, blocked: false)
            }
            softBounces.removeValue(forKey: channel)
            blockedAddresses[channel, default: []].insert(address)
            return .bounce(channel, hard: false, blocked: true)
        }
        softBounces.removeValue(forKey: channel)
        blockedAddresses[channel, default: []].insert(address)
        return .bounce(channel, hard: true, blocked: true)
    }

    private mutating func recordEngagement(
        _ kind: EngagementKind, _ channel: Channel, at: Instant, event: Event, policy: EngagementPolicy,
        zone looked: inout Zone?
    ) -> EventEffect {
        if kind != .sent { softBounces.removeValue(forKey: channel) }
        if kind != .sent, event.properties["machine"] == .bool(true) {
            return .machineEngagement(kind, channel)
        }
        let zone = policy.zone(for: self)
        looked = zone
        switch kind {
        case .sent: engagement.recordSend(channel, at: at, zone: zone, policy: policy)
        case .opened: engagement.recordOpen(channel, at: at, zone: zone, policy: policy)
        case .clicked: engagement.recordClick(channel, at: at, zone: zone, policy: policy)
        }
        let messageId = event.properties["message_id"]?.stringValue
        return .engagement(kind, channel, messageId: messageId)
    }

    /// `email`/`sms`/`chat`/`all` in any letter case; anything else is not a channel.
    static func consentScope(_ value: JSONValue?) -> ConsentScope? {
        guard let text = value?.stringValue?.lowercased() else { return nil }
        if text == "all" { return .all }
        return Channel(rawValue: text).map { .channel($0) }
    }
}
