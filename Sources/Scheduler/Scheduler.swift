import Foundation
import TouchpointCore

/// Decides, for one due message, whether it goes out, on which channel and when (SPEC §4).
///
/// Pure and deterministic: time comes in with the request, randomness from a generator seeded by the
/// message id, so a replay of the same input makes the same decisions. The steps run in SPEC order and
/// the first one that fails names the suppression reason.
///
/// Model choices:
/// - **Reachability.** A candidate needs an address. Non-transactional messages also need no channel
///   opt-out and no `Unsubscribed` with channel `all`. Transactional messages ignore both kinds of opt-out
///   (SPEC §2 calls them marketing unsubscribes) but still need an address. An address that hard-bounced
///   or complained (``TouchpointCore/Customer/isBlocked(_:)``) is out for every message, transactional
///   ones included. When no candidate has an address the reason is `no-reachable-channel`; else when one
///   is opted out, `unsubscribed`; else (every address blocked) `bounced`.
/// - **Caps.** `once-per` counts ledger entries of the same rule sent after `due - once-per`, including
///   ones scheduled in the future; it applies to transactional messages too. The frequency cap counts
///   non-transactional entries after `due - per` the same way and never applies to transactional ones.
///   An entry with the request's own message id never counts (re-deciding a message is not a repeat).
/// - **Channel.** Per reachable channel, the open probability is Beta-Binomial: the prior is centred on
///   the channel's population rate `(responses + 1) / (sends + 2)` with a strength fitted from how much
///   customers' rates really differ (empirical Bayes, kept current per event by the engine through
///   ``PopulationStats/updatePrior(from:to:)``; ``fitChannelPriors(customers:into:)`` is the same fit in one
///   pass), else ``SchedulerSettings/channelPriorStrength`` (4 pseudo-sends). The customer's evidence is
///   their decayed sends on that channel and the decayed sends that got a response — the first open or
///   click within ``SchedulerSettings/attributionWindow`` and before the next send — read from the compact
///   ``TouchpointCore/Engagement`` aggregates (each send weighs `2^(-age / halfLife)`). Opens that match no
///   send are not evidence, so responses never exceed sends. Each channel's score is
///   `mean + exploration × (draw − mean)`, the draw a Thompson sample from its posterior with a generator
///   seeded by `StableID.seed(messageId + "/" + channel)` (``SchedulerSettings/exploration``: 0 = always the
///   best estimate, 1 = plain Thompson sampling); the highest score wins and ties go to rule order.
///   Channels with identical posteriors (e.g. no data at all) share one draw, so with nothing to learn the
///   rule's first reachable channel wins instead of a coin flip.
/// - **Time.** Candidates are `due` and every local whole hour in `(due, due + within]` (plus the end of
///   quiet hours when it is not on the hour), in the customer's zone (`timezone` trait, else the default
///   zone). Walking instants hour by hour skips DST gaps by construction; a repeated local hour is taken
///   once (its first occurrence). Candidates in quiet hours are dropped for non-transactional messages;
///   none left means `quiet-hours`. Each candidate's local hour of the week is scored by a mixture of three
///   signals on the chosen channel, each a lift (1 = an average hour):
///   (a) the open rate of sends by local send hour, (b) the customer's open/click times, and (c) the
///   customer's activity times. Each is smoothed hierarchically: population hour-of-day → customer
///   hour-of-day (``SchedulerSettings/timingPriorStrength`` pseudo-counts) → customer hour-of-day on
///   weekdays or at weekends (as many again; activity keeps its own weekday/weekend split, sends and opens
///   only hours of the day, whose pattern then stands in for both day types), and every level over
///   neighbouring hours with a light circular kernel, so a customer who opens at 20:00 on weekdays also
///   scores Saturday 20:00 and 19:00 well. The mixture weights are `0.1 + n / (n + m)` per signal (n = the
///   customer's decayed observations), with the activity weight shrinking as opens accumulate: activity is
///   strongest when opens are few. A waiting message loses value (``SchedulerSettings/urgencyHalfLife``),
///   so each later hour's score is discounted by its delay; because that discount and the
///   ``SchedulerSettings/delayMargin`` guard against acting on thin evidence, both relax with the
///   customer's timing evidence n (half-life × `1 + n / urgencyEvidence`, margin ÷ the same): one stray
///   event cannot move a reminder to tomorrow, months of a habit can. The earliest candidate whose
///   discounted score is within the margin of the best wins, so a flat or noisy signal never delays the
///   message and ties go to the earliest hour. Population data alone can move a customer without history
///   to the population's best hour. Hours beyond a week after `due` are not scored: their slots repeat
///   earlier, never better ones.
/// - **Transactional** messages skip quiet hours, the frequency cap and timing: they go at `due` on the
///   chosen channel.
/// - **Why.** Every decision's ``Explanation`` also carries, per reachable channel, the estimated open
///   probability (posterior mean × the hour's timing score) at the chosen time and at `due`, the chosen
///   hour's rank among the allowed ones and what constrained it (quiet hours, the window, the cost of
///   waiting, caps); ``Explanation/whyJSON`` is the `why` object for `dry-run --format json`.
public struct Scheduler: Sendable {
    /// The configuration decisions are made with.
    public let settings: SchedulerSettings

    /// A scheduler with `settings`.
    public init(settings: SchedulerSettings) {
        self.settings = settings
    }

    /// The zone a customer's local times are read in: the `timezone` trait when it names a zone, else the
    /// default zone.
    public func zone(for customer: Customer) -> Zone {
        if let name = customer.timezone, let zone = Zone(name) { return zone }
        return settings.defaultZone
    }

    /// Decides channel and send time for `request`, or why it is held back.
    ///
    /// `ledger` is this customer's history of scheduled and sent messages; `population` the engagement
    /// aggregated over all customers. With `explain` false the explanation keeps its numbers but no text
    /// lines.
    public func decide(
        _ request: SendRequest, customer: Customer, ledger: SendLedger, population: PopulationStats,
        explain: Bool = true
    ) -> ScheduleDecision {
        var ex = Explanation()
        ex.keepsLines = explain

        // 1. Reachable channels.
        var anyAddress = false
        var anyOptedOut = false
        for channel in request.candidates where !ex.reachable.contains(channel) {
            guard customer.address(for: channel) != nil else {
                ex.rejected.append(.init(channel: channel, why: "no address"))
                continue
            }
            anyAddress = true
            if customer.isBlocked(channel) {
                ex.rejected.append(.init(channel: channel, why: "address bounced"))
                continue
            }
            if !request.transactional, customer.optedOutAll || customer.optedOut.contains(channel) {
                anyOptedOut = true
                ex.rejected.append(.init(channel: channel, why: "opted out"))
                continue
            }
            ex.reachable.append(channel)
        }
        let (reachable, rejected) = (ex.reachable, ex.rejected)
        ex.note(
            "reachable: "
                + (reachable.isEmpty ? "none" : reachable.map(\.rawValue).joined(separator: ", "))
                + rejected.map { "; \($0.channel.rawValue): \($0.why)" }.joined())
        if ex.reachable.isEmpty {
            let reason: SuppressionReason =
                !anyAddress ? .noReachableChannel : anyOptedOut ? .unsubscribed : .bounced
            return .suppressed(reason, explanation: ex)
        }

        // 2. Caps.
        if let span = request.oncePer {
            let n = ledger.count(rule: request.rule, after: request.due - span, excluding: request.messageId)
            ex.ruleCount = n
            ex.note("once-per \(span): \(n) message(s) of \(request.rule) in the span")
            if n > 0 {
                ex.constraints.append(.ruleLimit)
                return .suppressed(.ruleLimit, explanation: ex)
            }
        }
        if !request.transactional, let cap = settings.frequencyCap {
            let n = ledger.countNonTransactional(after: request.due - cap.per, excluding: request.messageId)
            ex.capCount = n
            ex.capMax = cap.max
            ex.note("frequency cap: \(n) of \(cap.max) per \(cap.per)")
            if n >= cap.max {
                ex.constraints.append(.frequencyCap)
                return .suppressed(.frequencyCap, explanation: ex)
            }
        }

        // 3. Channel.
        let chosen = chooseChannel(request, customer: customer, population: population, explanation: &ex)

        // 4. Time.
        let zone = zone(for: customer)
        ex.zone = zone.identifier
        var scores: [Double]? = nil
        if request.transactional {
            ex.note("time: transactional, sent when due")
            noteOdds(
                request, chosen: chosen, at: request.due, scores: nil, customer: customer, zone: zone,
                population: population, &ex)
            return .send(channel: chosen, at: request.due, explanation: ex)
        }
        let at = chooseTime(
            request, channel: chosen, customer: customer, zone: zone, population: population, scores: &scores,
            explanation: &ex)
        noteOdds(
            request, chosen: chosen, at: at, scores: scores, customer: customer, zone: zone,
            population: population, &ex)
        guard let at else { return .suppressed(.quietHours, explanation: ex) }
        return .send(channel: chosen, at: at, explanation: ex)
    }
}
