import CCurl
import Testing

@testable import Channels

@Suite("libcurl build path")
struct CurlLinkTests {
    @Test("libcurl links, initialises and reports its version")
    func libcurlLinks() {
        #expect(Curl.initialise())
        #expect(Curl.version.hasPrefix("libcurl/"))
    }

    @Test("the typed setopt shims reach curl_easy_setopt")
    func setoptShims() throws {
        Curl.initialise()
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        #expect(tp_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
        #expect(tp_curl_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK)
        // An unknown protocol is refused by curl itself, proving the call went through.
        #expect(tp_curl_setopt_string(handle, CURLOPT_URL, "nosuchproto://x") == CURLE_OK)
        #expect(curl_easy_perform(handle) == CURLE_UNSUPPORTED_PROTOCOL)
    }
}
