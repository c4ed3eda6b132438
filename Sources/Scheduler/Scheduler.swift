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
/// - **Channel and time, jointly** (SPEC §4's objective). Candidates are `due` and every local whole hour
///   in `(due, due + within]` (plus the end of quiet hours when it is not on the hour, and the first
///   instant after a DST gap that ends off the hour), in the customer's zone (`timezone` trait, else the
///   default zone); a repeated local hour is taken once. Candidates in quiet hours are dropped for
///   non-transactional messages; none left means `quiet-hours`. Every reachable channel at every candidate
///   is valued by its estimated open probability (``estimate(for:customer:zone:now:population:)``: a channel
///   rate times one hour curve per customer shared across channels, bent per channel), times
///   `0.5^((t − due) / urgency)` when the request carries the rule's `send.urgency`; nothing else
///   discounts waiting. The earliest candidate as good as the best overall wins, where differences in the
///   customer's own lift (their rates, presence and responses) within the hour tolerance count as equal
///   (``SchedulerSettings/hourTolerance`` without timing evidence of the customer's own, shrinking as it
///   builds up: one stray event cannot move a reminder to tomorrow, a habit can) and the population's hour
///   curve and the urgency factor count in full (they are not noise: a customer with no history of their
///   own is sent at the population's best hour); on it the best channel (ties: rule order). Hours beyond a week after
///   `due` are not scored: their slots repeat earlier, never better ones.
/// - **Exploration.** A runner-up channel (at its own best candidate) whose rate posterior overlaps the
///   chosen one's is tried with probability `4 p²` (p = the chance it is really better), all of them
///   together at most ``SchedulerSettings/exploration``, drawn from a generator seeded by the message id;
///   channels with the same posterior as the chosen one (no data on either) are never explored, so the
///   rule's order decides. `exploration` 1 is plain Thompson sampling: every channel's rate is a seeded
///   draw from its posterior.
/// - **Transactional** messages skip quiet hours, the frequency cap and timing: they go at `due` on the
///   best channel there.
/// - **Why.** Every decision's ``Explanation`` also carries, per reachable channel, the estimated open
///   probability at the chosen time and at `due`, the urgency factor, the exploration share, the chosen
///   hour's rank by open probability among the allowed ones and what constrained it (quiet hours, the
///   window, urgency, caps); ``Explanation/whyJSON`` is the `why` object for `dry-run --format json`.
public struct Scheduler: Sendable {
    /// The configuration decisions are made with.
    public let settings: SchedulerSettings
    /// The hour kernels ``estimate(for:customer:zone:now:population:)`` smooths with, made once from
    /// ``settings`` rather than per decision.
    let kernels: Kernels

    /// A scheduler with `settings`.
    public init(settings: SchedulerSettings) {
        self.settings = settings
        self.kernels = Kernels(settings)
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

        // 3–4. Channel and time, jointly.
        let zone = zone(for: customer)
        ex.zone = zone.identifier
        let estimate = estimate(
            for: reachable, customer: customer, zone: zone, now: request.due, population: population)
        guard let (channel, at) = choose(request, estimate: estimate, zone: zone, explanation: &ex) else {
            return .suppressed(.quietHours, explanation: ex)
        }
        return .send(channel: channel, at: at, explanation: ex)
    }
}

/// Fixed-precision text for explanations, without Foundation's locale-dependent formatting.
func fmt(_ x: Double, _ digits: Int = 3) -> String {
    guard x.isFinite else { return String(x) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int64((abs(x) * scale).rounded())
    let whole = n / Int64(scale)
    var frac = String(n % Int64(scale))
    while frac.count < digits { frac = "0" + frac }
    return (x < 0 && n != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}
