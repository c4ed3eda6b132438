import CCurl

/// Process-wide libcurl facts. `curl_global_init` runs once, before the first handle is made.
public enum Curl {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    /// Initialises libcurl (idempotent); `false` if the library refused.
    @discardableResult
    public static func initialise() -> Bool { initialised }

    /// The linked libcurl's version text, e.g. `libcurl/7.88.1 OpenSSL/3.0.x ...`.
    public static var version: String {
        String(cString: curl_version())
    }
}
