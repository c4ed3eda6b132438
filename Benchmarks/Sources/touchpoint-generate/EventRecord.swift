/// One event waiting to be written: a 32-byte value, encoded to JSON only when its day is written, so a
/// day's buffer costs the same per event whatever the JSON size. Ties in time are broken by the record's
/// position in its day's buffer, which is generation order.
struct EventRecord {
    /// Sort key: timestamp × 2, plus 1 for everything but `identify`, so an identify sorts before a track
    /// event at the same millisecond.
    var key: Int64
    /// Identifiers of the cart (`c-`/`k-`/`o-`) or of the campaign send (`m-`).
    var id: UInt64
    /// Products and quantities (`Items`).
    var items: Items
    /// Customer index.
    var user: UInt32
    /// Campaign number for message events.
    var campaign: UInt16
    /// What happened.
    var kind: EventKind
    /// Channel, payment-failure reason or sign-up method, depending on `kind`.
    var detail: UInt8

    /// The event's time, epoch milliseconds.
    var timestamp: Int64 { key >> 1 }
}

/// The event names the generator writes.
enum EventKind: UInt8, CaseIterable {
    case identify
    case signedUp
    case productViewed
    case productAdded
    case checkoutStarted
    case paymentFailed
    case paymentSucceeded
    case orderCompleted
    case orderDelivered
    case orderRefunded
    case messageSent
    case messageOpened
    case emailOpened
    case messageClicked
    case unsubscribed
    case subscribed

    /// The Segment event name (`identify` for identify calls).
    var name: StaticString {
        switch self {
        case .identify: "identify"
        case .signedUp: "Signed Up"
        case .productViewed: "Product Viewed"
        case .productAdded: "Product Added"
        case .checkoutStarted: "Checkout Started"
        case .paymentFailed: "Payment Failed"
        case .paymentSucceeded: "Payment Succeeded"
        case .orderCompleted: "Order Completed"
        case .orderDelivered: "Order Delivered"
        case .orderRefunded: "Order Refunded"
        case .messageSent: "Message Sent"
        case .messageOpened: "Message Opened"
        case .emailOpened: "Email Opened"
        case .messageClicked: "Message Clicked"
        case .unsubscribed: "Unsubscribed"
        case .subscribed: "Subscribed"
        }
    }
}

/// A message channel as Touchpoint names it in `properties.channel`.
enum Channel: UInt8 {
    case email
    case sms
    case chat
    /// Only in consent events.
    case all

    /// The JSON string, with quotes.
    var json: StaticString {
        switch self {
        case .email: "\"email\""
        case .sms: "\"sms\""
        case .chat: "\"chat\""
        case .all: "\"all\""
        }
    }
}

/// Up to three (product, quantity) pairs in one word: 21 bits each, a 19-bit product index and a 2-bit
/// quantity 1...3 (0 marks an empty slot).
struct Items {
    /// The packed pairs.
    var raw: UInt64 = 0

    /// Number of pairs.
    var count: Int {
        var n = 0
        while n < 3 && (raw >> (UInt64(n) * 21 + 19)) & 3 != 0 { n += 1 }
        return n
    }

    /// Adds a pair (at most three).
    mutating func add(product: Int, quantity: Int) {
        let slot = UInt64(count) * 21
        raw |= (UInt64(product) | UInt64(quantity) << 19) << slot
    }

    /// The product index of pair `index`.
    func product(_ index: Int) -> Int {
        Int(truncatingIfNeeded: (raw >> (UInt64(index) * 21)) & 0x7FFFF)
    }

    /// The quantity of pair `index`.
    func quantity(_ index: Int) -> Int {
        Int(truncatingIfNeeded: (raw >> (UInt64(index) * 21 + 19)) & 3)
    }
}
