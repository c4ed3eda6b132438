/// The control group: which customers are kept from a rule's messages, so `touchpoint report` can
/// measure what the messages changed (SPEC §2 `holdout`).
///
/// A customer's place is a keyed hash of their id (HMAC-SHA256 under ``key``), read as a number in
/// [0, 1): the same in every run, process and node, and unrelated to the order customers arrive in.
/// A customer is held out of a rule whose share is `s` when that number is below `s`, so the groups of
/// different shares are nested: everyone held out at 5 % is also held out at 10 %.
public struct Holdout: Sendable, Hashable {
    /// The key used when the config names none (`holdout-key`). Changing it reshuffles every group.
    public static let defaultKey = "touchpoint-holdout-v1"

    /// The HMAC key's bytes.
    public let key: [UInt8]

    /// A control-group assignment under `key`.
    public init(key: String = Holdout.defaultKey) {
        self.key = Array(key.utf8)
    }

    /// The customer's place in [0, 1): the HMAC's first 8 bytes as a fraction of 2⁶⁴.
    public func score(_ customer: String) -> Double {
        let mac = HMAC.sha256(key: key, message: Array(customer.utf8))
        var x: UInt64 = 0
        for byte in mac.prefix(8) { x = x << 8 | UInt64(byte) }
        // The top 53 bits: exactly representable, so the fraction is below 1.
        return Double(x >> 11) / Double(UInt64(1) << 53)
    }

    /// Whether `customer` is in the control group of a rule holding out `share` (0…1).
    public func holdsOut(_ customer: String, share: Double) -> Bool {
        share > 0 && score(customer) < share
    }
}
