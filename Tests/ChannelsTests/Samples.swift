import TouchpointCore

@testable import Channels

enum Samples {
    static let now = Instant(seconds: 1_795_435_200)  // 2026-11-23T12:00:00Z, a Monday

    static func email(
        id: String = "0123456789abcdef0123456789abcdef", to: String = "li.wei@example.com",
        toName: String? = "李伟",
        subject: String = "您的购物车还在等您 — 10% off today",
        html: String? = "<html><body><p>你好 <b>李伟</b></p></body></html>",
        unsubscribe: String? = "https://example.com/u/abc?x=1"
    ) -> OutboundMessage {
        OutboundMessage(
            messageId: id, channel: .email, to: to, toName: toName, subject: subject,
            preheader: "Still thinking?",
            text: "你好 李伟,\n\nYour cart is waiting.\n", html: html,
            buttons: [.init(label: "Open cart", url: "https://example.com/cart")],
            unsubscribeURL: unsubscribe,
            rule: "cart_abandoned", customerId: "u-42", createdAt: now)
    }

    static func chat(id: String = "fedcba9876543210fedcba9876543210") -> OutboundMessage {
        OutboundMessage(
            messageId: id, channel: .chat, to: "C024BE91L", text: "Order *#1001* shipped 🚚",
            buttons: [
                .init(label: "Track", url: "https://example.com/t/1001"),
                .init(label: "Help", url: "https://example.com/h"),
            ],
            rule: "order_shipped", customerId: "u-7", createdAt: now)
    }

    static func sms(id: String = "aaaabbbbccccddddaaaabbbbccccdddd") -> OutboundMessage {
        OutboundMessage(
            messageId: id, channel: .sms, to: "+15558675310", text: "Code 1234 & more: 50% off! ✓",
            rule: "otp",
            customerId: "u-9", createdAt: now)
    }
}
