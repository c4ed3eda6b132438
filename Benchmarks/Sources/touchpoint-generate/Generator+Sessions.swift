/// The session kinds: what one visit or one campaign send produces.
extension Generator {
    static let paymentFailureReasons: [StaticString] = [
        "card_declined", "insufficient_funds", "expired_card", "processing_error",
    ]
    static let refundReasons: [StaticString] = ["arrived damaged", "wrong size", "changed mind"]
    static let campaigns = 40

    /// 1-15 product views, 8-120 s apart; about 2.7 on average (a geometric count, like the peers' exponential).
    mutating func browse(user: Int, start: Int64, cap: Int) {
        var views = 1
        while views < cap && rng.chance(0.63) { views += 1 }
        var time = start
        for _ in 0..<views {
            var item = Items()
            item.add(product: rng.below(catalogue.count), quantity: 1)
            put(time, .productViewed, user, items: item)
            time += rng.ms(8000, 120_000)
        }
    }

    /// Views and 1-3 adds, then checkout and order within the hour; or, at `--abandon-rate`, abandoned
    /// (sometimes after starting checkout) and at `--recover-rate` ordered 1.5-72 h later. A few checkouts
    /// fail at payment; most of those are retried within minutes. Orders are mostly delivered 20 h-6 days
    /// later, and a few delivered orders are refunded.
    mutating func cartSession(user: Int, start: Int64) {
        begin(user, start)
        stats.carts += 1
        let cart = newCart()
        var items = Items()
        var time = start
        for _ in 0..<rng.int(1, 3) {
            for _ in 0..<rng.int(0, 2) {
                var viewed = Items()
                viewed.add(product: rng.below(catalogue.count), quantity: 1)
                put(time, .productViewed, user, items: viewed)
                time += rng.ms(8000, 90_000)
            }
            let product = rng.below(catalogue.count)
            let quantity = [1, 1, 1, 2, 3][rng.below(5)]
            items.add(product: product, quantity: quantity)
            var added = Items()
            added.add(product: product, quantity: quantity)
            put(time, .productAdded, user, id: cart, items: added)
            time += rng.ms(5000, 240_000)
        }
        if rng.chance(options.abandonRate) {
            stats.abandonedInSession += 1
            if rng.chance(0.4) {  // reached checkout, then left
                put(time, .checkoutStarted, user, id: cart, items: items)
            }
            if rng.chance(options.recoverRate) {  // comes back after the 1 h timer
                stats.recoveredLater += 1
                time += rng.ms(90 * 60_000, 72 * 3_600_000)
                put(time, .checkoutStarted, user, id: cart, items: items)
                time += rng.ms(20_000, 300_000)
                order(user: user, cart: cart, items: items, at: time)
            }
            return
        }
        time += rng.ms(10_000, 600_000)
        put(time, .checkoutStarted, user, id: cart, items: items)
        if rng.chance(0.05) {
            stats.paymentFailures += 1
            time += rng.ms(20_000, 180_000)
            put(time, .paymentFailed, user, id: cart, items: items, detail: UInt8(rng.below(4)))
            guard rng.chance(0.65) else { return }  // never paid: the payment-failed rule's case
            // Mostly retried inside the rule's 15 minutes; some later, after the reminder went out.
            time += rng.chance(0.8) ? rng.ms(30_000, 600_000) : rng.ms(900_000, 3_600_000)
            put(time, .paymentSucceeded, user, id: cart, items: items)
            time += rng.ms(5000, 60_000)
        } else {
            time += rng.ms(20_000, 900_000)
        }
        order(user: user, cart: cart, items: items, at: time)
    }

    private mutating func order(user: Int, cart: UInt64, items: Items, at time: Int64) {
        put(time, .orderCompleted, user, id: cart, items: items)
        guard rng.chance(0.9) else { return }
        let delivered = time + rng.ms(20 * 3_600_000, 144 * 3_600_000)
        put(delivered, .orderDelivered, user, id: cart, items: items)
        if rng.chance(0.03) {
            put(
                delivered + rng.ms(2 * 3_600_000, 96 * 3_600_000), .orderRefunded, user, id: cart,
                items: items,
                detail: UInt8(rng.below(Self.refundReasons.count)))
        }
    }

    /// A past campaign send (`Message Sent`) to any customer, on a channel they can be reached on; opened at a
    /// rate that depends on the channel and the customer, either at once or around the customer's preferred
    /// hour; sometimes clicked (then a short browse); rarely followed by an unsubscribe from that channel.
    mutating func sendSession(user: Int, start: Int64) {
        begin(user, start)
        stats.sends += 1
        let profile = profile(user)
        let channel = pickChannel(profile)
        let message = newMessage()
        let campaign = rng.below(Self.campaigns)
        let detail = channel.rawValue
        put(start, .messageSent, user, id: message, campaign: campaign, detail: detail)
        let base = channel == .email ? 0.25 : (channel == .sms ? 0.12 : 0.45)
        guard rng.chance(min(0.95, base * profile.openFactor)) else { return }
        var opened: Int64
        if rng.chance(0.3) {
            opened = start + rng.ms(60_000, 20 * 60_000)
        } else {
            let earliest = start + 5 * 60_000
            let midnight = earliest - earliest % Self.dayMs  // UTC midnight (times are after 1970)
            opened = midnight + Int64(profile.openMinuteUTC + rng.int(-45, 45)) * 60_000 + rng.ms(0, 59_999)
            while opened < earliest { opened += Self.dayMs }
        }
        let kind: EventKind = channel == .email && rng.chance(0.1) ? .emailOpened : .messageOpened
        put(opened, kind, user, id: message, campaign: campaign, detail: detail)
        if rng.chance(0.25) {
            let clicked = opened + rng.ms(3000, 600_000)
            put(clicked, .messageClicked, user, id: message, campaign: campaign, detail: detail)
            if rng.chance(0.5) {
                browse(user: user, start: clicked + rng.ms(5000, 60_000), cap: 3)
            }
        }
        if rng.chance(0.012) {
            put(
                opened + rng.ms(10_000, 300_000), .unsubscribed, user, id: message, campaign: campaign,
                detail: detail)
        }
    }

    /// A consent change on its own (preference centre, support request): mostly opt-outs, some opt-ins.
    mutating func consentSession(user: Int, start: Int64) {
        begin(user, start)
        let pick = rng.below(100)
        let channel: Channel = pick < 45 ? .email : (pick < 75 ? .sms : (pick < 85 ? .chat : .all))
        put(start, rng.chance(0.65) ? .unsubscribed : .subscribed, user, detail: channel.rawValue)
    }

    private static let sendChannels: [(Channel, Int)] = [(.email, 60), (.sms, 25), (.chat, 15)]

    private mutating func pickChannel(_ profile: CustomerProfile) -> Channel {
        var total = 0
        for (channel, weight) in Self.sendChannels where profile.reachable(channel) { total += weight }
        var pick = rng.below(total)
        for (channel, weight) in Self.sendChannels where profile.reachable(channel) {
            if pick < weight { return channel }
            pick -= weight
        }
        return .email
    }
}
