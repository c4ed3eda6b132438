import Foundation
import Rules
import TouchpointCore

extension Engine {
    /// The control-group share that applies to `rule`: its own `holdout`, else the config's; 0 for a
    /// transactional rule (a receipt is never held back to measure it).
    func holdoutShare(of rule: Rule) -> Double {
        rule.transactional ? 0 : rule.holdout ?? settings.holdoutShare
    }

    /// Whether a message of `rule` that would go to `customer` now is kept back instead.
    ///
    /// Checked at the moment of sending, after every other check has passed, so the held-out messages are
    /// exactly the ones that would have gone out: the two groups `touchpoint report` compares went through
    /// the same cancellations, caps and windows.
    func heldOut(rule: Rule, customer: String) -> Bool {
        settings.holdout.holdsOut(customer, share: holdoutShare(of: rule))
    }

    /// `5 %`, `2.5 %`.
    static func percent(_ share: Double) -> String {
        let p = share * 100
        return p == p.rounded() ? "\(Int(p)) %" : String(format: "%.1f %%", p)
    }
}
