/// JSON encoding of one record: compact, UTF-8, members in a fixed order, no floating point.
extension Generator {
    static let shop: StaticString = "https://shop.example.test"

    /// Appends the record's line and counts it.
    mutating func encode(_ record: EventRecord, into line: inout LineBuffer) {
        let user = Int(record.user)
        if record.kind == .identify {
            line.append("{\"type\":\"identify\",\"userId\":\"u")
        } else {
            line.append("{\"type\":\"track\",\"event\":\"")
            line.append(record.kind.name)
            line.append("\",\"userId\":\"u")
        }
        line.appendInt(user)
        line.append("\",\"messageId\":\"")
        appendMessageId(index: written, into: &line)
        line.append("\",\"timestamp\":")
        line.appendTimestamp(record.timestamp)
        if record.kind == .identify {
            line.append(",\"traits\":{")
            appendTraits(user: user, identifiedAt: record.timestamp, into: &line)
        } else {
            line.append(",\"properties\":{")
            appendProperties(record, into: &line)
        }
        line.append("}}\n")
        didWrite(record.kind)
    }

    /// A 128-bit id in UUID layout (version nibble 4). Its last 64 bits are a bijective hash of the line
    /// number, so no two lines share a `messageId`.
    private func appendMessageId(index: Int, into line: inout LineBuffer) {
        let unique = SplitMix64.mix(UInt64(index) &+ idKey)
        let other = SplitMix64.mix(unique ^ 0x6A09_E667_F3BC_C908) & 0xFFFF_FFFF_FFFF_0FFF | 0x4000
        line.appendHex(other >> 32, width: 8)
        line.append(byte: UInt8(ascii: "-"))
        line.appendHex(other >> 16 & 0xFFFF, width: 4)
        line.append(byte: UInt8(ascii: "-"))
        line.appendHex(other & 0xFFFF, width: 4)
        line.append(byte: UInt8(ascii: "-"))
        line.appendHex(unique >> 48, width: 4)
        line.append(byte: UInt8(ascii: "-"))
        line.appendHex(unique & 0xFFFF_FFFF_FFFF, width: 12)
    }

    private func appendTraits(user: Int, identifiedAt time: Int64, into line: inout LineBuffer) {
        let profile = profile(user)
        let zone = profile.zoneInfo
        var comma = false
        if profile.hasEmail {
            line.append("\"email\":\"u")
            line.appendInt(user)
            line.append("@example.test\"")
            comma = true
        }
        if profile.hasPhone {
            if comma { line.append(byte: UInt8(ascii: ",")) }
            line.append("\"phone\":\"")
            appendPhone(profile, into: &line)
            line.append(byte: UInt8(ascii: "\""))
            comma = true
        }
        if profile.hasChat {
            if comma { line.append(byte: UInt8(ascii: ",")) }
            line.append("\"chat_id\":\"U0")
            line.appendHex(profile.digits >> 28, width: 9)
            line.append(byte: UInt8(ascii: "\""))
        }
        line.append(",\"timezone\":\"")
        line.append(zone.name)
        line.append("\",\"locale\":\"")
        line.append(zone.locale)
        line.append("\",\"first_name\":\"")
        if zone.locale.hasPrefix("zh") {
            line.append("客户")
            line.appendInt(user)
        } else {
            line.append(CustomerProfile.englishNames[Int(profile.digits % 10)])
        }
        line.append("\",\"createdAt\":")
        line.appendTimestamp(profile.isNew ? time : time - Int64(profile.createdDaysBefore) * Self.dayMs)
    }

    /// An E.164 number of the customer's region (fictional ranges outside China).
    private func appendPhone(_ profile: CustomerProfile, into line: inout LineBuffer) {
        let digits = Int(truncatingIfNeeded: profile.digits & 0x0FFF_FFFF)
        switch profile.zoneInfo.name {
        case "America/Los_Angeles":
            line.append("+1415555")
            line.appendPadded(digits % 10_000, width: 4)
        case "Europe/London":
            line.append("+447700900")
            line.appendPadded(digits % 1000, width: 3)
        case "Asia/Hong_Kong":
            line.append("+8525")
            line.appendPadded(digits % 10_000_000, width: 7)
        case "Asia/Taipei":
            line.append("+8869")
            line.appendPadded(digits % 100_000_000, width: 8)
        case "Asia/Singapore":
            line.append("+658")
            line.appendPadded(digits % 10_000_000, width: 7)
        default:
            line.append("+86")
            line.append(CustomerProfile.mobilePrefixes[digits % CustomerProfile.mobilePrefixes.count])
            line.appendPadded(Int(truncatingIfNeeded: (profile.digits >> 32) % 100_000_000), width: 8)
        }
    }

    private func appendProperties(_ record: EventRecord, into line: inout LineBuffer) {
        let items = record.items
        switch record.kind {
        case .identify:
            break
        case .signedUp:
            line.append("\"method\":")
            line.append(record.detail == 0 ? "\"email\"" : (record.detail == 1 ? "\"phone\"" : "\"chat\""))
        case .productViewed:
            line.append(catalogue.members(items.product(0)))
            line.append(",\"currency\":\"CNY\",\"url\":\"")
            line.append(Self.shop)
            line.append("/p/")
            line.append(catalogue.id(items.product(0)))
            line.append(byte: UInt8(ascii: "\""))
        case .productAdded:
            line.append(catalogue.members(items.product(0)))
            line.append(",\"currency\":\"CNY\",\"quantity\":")
            line.appendInt(items.quantity(0))
            line.append(",\"cart_id\":")
            appendId("c-", record.id, into: &line)
            line.append(",\"cart_url\":\"")
            line.append(Self.shop)
            line.append("/cart/c-")
            line.appendHex(record.id, width: 8)
            line.append(byte: UInt8(ascii: "\""))
        case .checkoutStarted:
            line.append("\"checkout_id\":")
            appendId("k-", record.id, into: &line)
            line.append(",\"order_id\":")
            appendId("o-", record.id, into: &line)
            line.append(",\"cart_id\":")
            appendId("c-", record.id, into: &line)
            line.append(",\"value\":")
            line.appendCents(total(items))
            line.append(",\"currency\":\"CNY\",\"checkout_url\":\"")
            line.append(Self.shop)
            line.append("/checkout/c-")
            line.appendHex(record.id, width: 8)
            line.append("\",\"products\":")
            appendProducts(items, into: &line)
        case .paymentFailed, .paymentSucceeded:
            line.append("\"order_id\":")
            appendId("o-", record.id, into: &line)
            line.append(",\"cart_id\":")
            appendId("c-", record.id, into: &line)
            line.append(",\"amount\":")
            line.appendCents(total(items))
            line.append(",\"currency\":\"CNY\"")
            if record.kind == .paymentFailed {
                line.append(",\"reason\":\"")
                line.append(Self.paymentFailureReasons[Int(record.detail)])
                line.append("\",\"payment_url\":\"")
                line.append(Self.shop)
                line.append("/orders/o-")
                line.appendHex(record.id, width: 8)
                line.append("/pay\"")
            }
        case .orderCompleted:
            let total = total(items)
            let revenue = (total * 100 + 56) / 113  // net of 13% VAT, rounded to the cent
            line.append("\"order_id\":")
            appendId("o-", record.id, into: &line)
            line.append(",\"checkout_id\":")
            appendId("k-", record.id, into: &line)
            line.append(",\"cart_id\":")
            appendId("c-", record.id, into: &line)
            line.append(",\"total\":")
            line.appendCents(total)
            line.append(",\"revenue\":")
            line.appendCents(revenue)
            line.append(",\"tax\":")
            line.appendCents(total - revenue)
            line.append(",\"currency\":\"CNY\",\"products\":")
            appendProducts(items, into: &line)
        case .orderDelivered:
            line.append("\"order_id\":")
            appendId("o-", record.id, into: &line)
        case .orderRefunded:
            line.append("\"order_id\":")
            appendId("o-", record.id, into: &line)
            line.append(",\"total\":")
            line.appendCents(total(items))
            line.append(",\"currency\":\"CNY\",\"reason\":\"")
            line.append(Self.refundReasons[Int(record.detail)])
            line.append(byte: UInt8(ascii: "\""))
        case .messageSent, .messageOpened, .emailOpened, .messageClicked:
            appendSend(record, into: &line)
            if record.kind == .messageClicked {
                line.append(",\"url\":\"")
                line.append(Self.shop)
                line.append("/promo/cmp-")
                line.appendPadded(Int(record.campaign), width: 3)
                line.append(byte: UInt8(ascii: "\""))
            }
        case .unsubscribed, .subscribed:
            if record.id == 0 {
                line.append("\"channel\":")
                line.append(Channel(rawValue: record.detail)!.json)
            } else {
                appendSend(record, into: &line)
            }
        }
    }

    private func appendSend(_ record: EventRecord, into line: inout LineBuffer) {
        line.append("\"channel\":")
        line.append(Channel(rawValue: record.detail)!.json)
        line.append(",\"message_id\":")
        appendId("m-", record.id, into: &line)
        line.append(",\"campaign\":\"cmp-")
        line.appendPadded(Int(record.campaign), width: 3)
        line.append(byte: UInt8(ascii: "\""))
    }

    private func appendId(_ prefix: StaticString, _ id: UInt64, into line: inout LineBuffer) {
        line.append(byte: UInt8(ascii: "\""))
        line.append(prefix)
        line.appendHex(id, width: 8)
        line.append(byte: UInt8(ascii: "\""))
    }

    private func appendProducts(_ items: Items, into line: inout LineBuffer) {
        line.append(byte: UInt8(ascii: "["))
        for index in 0..<items.count {
            if index > 0 { line.append(byte: UInt8(ascii: ",")) }
            line.append(byte: UInt8(ascii: "{"))
            line.append(catalogue.members(items.product(index)))
            line.append(",\"quantity\":")
            line.appendInt(items.quantity(index))
            line.append(byte: UInt8(ascii: "}"))
        }
        line.append(byte: UInt8(ascii: "]"))
    }

    private func total(_ items: Items) -> Int {
        var cents = 0
        for index in 0..<items.count {
            cents += catalogue.cents[items.product(index)] * items.quantity(index)
        }
        return cents
    }
}
