import Crypto

/// SHA-1, only for verifying Twilio's HMAC-SHA1 webhook signatures: Twilio chose the hash, nothing of
/// Touchpoint's own relies on it. From swift-crypto (`Insecure.SHA1`).
public enum SHA1 {
    /// The 20-byte digest of `data`.
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: data))
    }
}
