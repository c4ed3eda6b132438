import Templates
import TouchpointCore

/// One message decision: sent (with its content) or held back (with the reason).
public struct MessageRecord: Sendable {
    /// `send` or `suppressed`.
    public enum Decision: String, Sendable {
        case send
        case suppressed
    }

    public var decision: Decision
    public var rule: String
    public var customer: String
    /// The stable message id (rule, customer, trigger).
    public var messageId: String
    /// The trigger event's name (`Product Added`; `Customer Inactive` for `when.inactive`).
    public var triggerEvent: String
    /// The trigger event's own `messageId`, when it had one.
    public var triggerMessageId: String?
    public var triggerTimestamp: Timestamp
    public var dueAt: Instant
    public var sendAt: Instant?
    public var channel: Channel?
    public var template: String
    /// The template locale actually used, or the customer's locale when nothing was rendered.
    public var locale: String?
    public var reason: SuppressionReason?
    /// More about the reason: the missing variable, the render error, who cancelled.
    public var detail: String?
    public var content: RenderedContent?
    /// The customer's zone: times are printed in it.
    public var zone: Zone
    public var priority: Int
    public var transactional: Bool
    /// When the engine made this decision (virtual time in a dry-run).
    public var decidedAt: Instant
    /// The numbers behind the scheduling decision, for `--explain`.
    public var explanation: [String]
    /// The scheduler's `why` object: estimated open probability per channel at the chosen hour and at the
    /// due time, the hour's rank, what constrained it; `null` when no scheduling decision was made.
    public var why: JSONValue = .null
    /// A send whose content is still to be rendered (``Engine/defersRendering``): the engine has checked
    /// that it renders; ``completeRendering(with:)`` fills ``content``.
    public var pendingRender: RenderJob?

    /// The unsubscribe link for the adapter (the email's `List-Unsubscribe`, the webhook's
    /// `unsubscribe_url`); `nil` for transactional messages, and when neither `http` nor the channel's
    /// `unsubscribe-url` gives one.
    public var unsubscribeURL: String?
    /// Where the SMS provider reports delivery (Twilio's `StatusCallback`), when `http` is on.
    public var statusCallbackURL: String?
    /// For a fallback follow-up (`send.fallback`): the id of the first send it follows.
    public var fallbackOf: String?

    /// What to render for a send: the template, the context, and the link tracking applied after it.
    public struct RenderJob: Sendable {
        public var template: String
        public var channel: Channel
        public var locale: String?
        public var context: JSONValue
        /// Tracks the rendered links (the rule's `send.tracking` with `http` on); `nil` leaves them.
        public var links: LinkTracker?
        public var messageId: String
        public var customer: String
        /// When the tracked links are issued: the send decision.
        public var issuedAt: Instant

        /// The content as the channel sends it: rendered, then its links tracked, then held to Slack's
        /// Block Kit limits when the channel sends Block Kit (the tracked links are the ones Slack sees). The
        /// one place all three happen, for the engine's immediate rendering and for a deferred one alike.
        public func render(with templates: TemplateSet) -> Result<RenderedContent, RenderFailure> {
            templates.render(template: template, channel: channel, locale: locale, context: context).flatMap {
                rendered in
                let content =
                    links.map {
                        $0.rewrite(rendered, messageId: messageId, customer: customer, issuedAt: issuedAt)
                    } ?? rendered
                if let failure = templates.blockKitFailure(content) { return .failure(failure) }
                return .success(content)
            }
        }
    }

    /// Renders a deferred send's content (no-op for any other record). The engine's check guarantees
    /// success; a failure here would be a bug, and is kept visible as the record's `detail`.
    public mutating func completeRendering(with templates: TemplateSet) {
        guard let job = pendingRender else { return }
        pendingRender = nil
        switch job.render(with: templates) {
        case .success(let rendered): content = rendered
        case .failure(let failure): detail = "internal error: rendered after a passing check: \(failure)"
        }
    }
}
