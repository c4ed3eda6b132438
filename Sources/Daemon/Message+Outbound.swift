import Channels
import Engine
import Foundation
import Store
import TouchpointCore

extension MessageRecord {
    /// The adapter's input for a message the engine decided to send, with the customer's address now.
    func outbound(
        customer: Customer?, now: Instant, quietHours: QuietHours? = nil, defaultZone: Zone = .utc
    ) -> OutboundMessage? {
        guard decision == .send, let channel, let content, let to = customer?.address(for: channel) else {
            return nil
        }
        let name = customer?.traits["name"]?.stringValue ?? customer?.traits["first_name"]?.stringValue
        var message = OutboundMessage(
            messageId: messageId, channel: channel, to: to, toName: name, subject: content.subject,
            preheader: content.preheader, text: content.text, html: content.html,
            buttons: content.buttons.map { .init(label: $0.label, url: $0.url) },
            unsubscribeURL: unsubscribeURL,
            rule: rule, customerId: self.customer, createdAt: now)
        message.statusCallbackURL = statusCallbackURL
        if let quietHours, !transactional {
            message.quietHours = quietHours.description
            message.timezone = (customer?.timezone.flatMap { Zone($0) } ?? defaultZone).identifier
        }
        return message
    }

    /// The dropped-message record the store keeps for a suppressed decision.
    var dropped: DroppedMessage? {
        guard decision == .suppressed, let reason else { return nil }
        return DroppedMessage(
            messageId: messageId, rule: rule, customer: customer, reason: reason, detail: detail,
            at: decidedAt)
    }
}
