import TouchpointCore

/// What applying one event to a customer profile did, so the engine and the scheduler's statistics can react.
public enum EventEffect: Sendable, Hashable {
    /// An `identify` merged its traits; `changed` lists, sorted, the trait keys added, replaced or removed.
    case identified(changed: [String])
    /// `Unsubscribed` (`subscribed: false`) or `Subscribed` (`subscribed: true`) switched consent.
    case consent(ConsentScope, subscribed: Bool)
    /// A send, open or click was recorded in ``Customer/engagement``; `messageId` is `properties.message_id`.
    case engagement(EngagementKind, Channel, messageId: String?)
    /// A consent or engagement event whose `properties.channel` is missing or not a known channel
    /// (`channel` is what was there, `nil` when absent). The profile is unchanged; the engine should warn.
    case unknownChannel(event: String, channel: JSONValue?)
    /// A `track` event that counts as customer activity: ``Customer/lastActivity`` moved and the
    /// activity time was recorded.
    case activity
    /// An open or click flagged `properties.machine: true` (a mail privacy proxy's prefetch, a link
    /// scanner): recorded in the events file, not learned from.
    case machineEngagement(EngagementKind, Channel)
    /// `Message Bounced` / `Email Bounced`: `blocked` when it blocked the address (a hard bounce, or the
    /// ``Customer/softBounceLimit``-th soft bounce in a row).
    case bounce(Channel, hard: Bool, blocked: Bool)
    /// `Complaint Received` / `Email Marked as Spam` blocked the address.
    case complaint(Channel)
    /// Nothing to do: `page`/`screen`/`group`/`alias`, and feedback events such as `Email Delivered`.
    case ignored
}

/// Which channels a consent event switches.
public enum ConsentScope: Sendable, Hashable {
    /// One channel.
    case channel(Channel)
    /// Every channel (`properties.channel: all`).
    case all
}

/// The kind of an engagement feedback event.
public enum EngagementKind: String, Sendable, Hashable, CaseIterable {
    /// `Message Sent`: a send made outside Touchpoint (or before it), the open-rate denominator.
    case sent
    /// `Message Opened`, or Segment's `Email Opened`.
    case opened
    /// `Message Clicked`, or Segment's `Email Link Clicked`.
    case clicked
}
