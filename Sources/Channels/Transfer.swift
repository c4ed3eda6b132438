import CCurl
import Foundation

/// One transfer in flight: the buffers libcurl's callbacks read from and write into.
/// Created, used and released on the transport thread only.
final class Transfer {
    let id: UInt64
    let request: TransferRequest
    let continuation: UnsafeContinuation<TransferResult, Never>
    private var offset = 0
    /// libcurl asked the read callback for body bytes (SMTP: the server said 354 to DATA).
    private var readStarted = false
    /// An HTTP request: its body goes out with the headers from `postFields`, not through the read callback.
    private var isHTTP = false
    /// A copy of an HTTP body that libcurl sends from directly (`CURLOPT_POSTFIELDS`), so headers and body
    /// leave in one write; with a read callback libcurl 7.88 sends them in two.
    private var postFields: UnsafeMutableRawBufferPointer? = nil
    private var response: [UInt8] = []
    private var headerLines: [String] = []
    private var headerList: UnsafeMutablePointer<curl_slist>? = nil
    private var recipientList: UnsafeMutablePointer<curl_slist>? = nil
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private static let responseLimit = 1 << 20

    init(_ submission: CurlTransport.Submission) {
        id = submission.id
        request = submission.request
        continuation = submission.continuation
        let size = Int(tp_curl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_slist_free_all(recipientList)
        errorBuffer.deallocate()
        postFields?.deallocate()
    }

    func configure(_ easy: UnsafeMutableRawPointer) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        let r = request
        _ = tp_curl_setopt_string(easy, CURLOPT_URL, r.url)
        _ = tp_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = tp_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, r.timeoutMilliseconds)
        _ = tp_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, r.connectTimeoutMilliseconds)
        _ = tp_curl_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = tp_curl_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, r.lowSpeedSeconds)
        _ = tp_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = tp_curl_setopt_write_function(easy, Transfer.onWrite)
        _ = tp_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = tp_curl_setopt_header_function(easy, Transfer.onHeader)
        _ = tp_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        if let ca = r.caFile { _ = tp_curl_setopt_string(easy, CURLOPT_CAINFO, ca) }
        if r.insecure {
            _ = tp_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            _ = tp_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let user = r.username { _ = tp_curl_setopt_string(easy, CURLOPT_USERNAME, user) }
        if let password = r.password { _ = tp_curl_setopt_string(easy, CURLOPT_PASSWORD, password) }
        if Transfer.hasPrefix(r.url, "smtp") {
            _ = tp_curl_setopt_read_function(easy, Transfer.onRead)
            _ = tp_curl_setopt_pointer(easy, CURLOPT_READDATA, me)
            _ = tp_curl_setopt_seek_function(easy, Transfer.onSeek)
            _ = tp_curl_setopt_pointer(easy, CURLOPT_SEEKDATA, me)
            if let from = r.mailFrom { _ = tp_curl_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(from)>") }
            for rcpt in r.recipients { recipientList = curl_slist_append(recipientList, "<\(rcpt)>") }
            _ = tp_curl_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipientList)
            _ = tp_curl_setopt_long(easy, CURLOPT_UPLOAD, 1)
            _ = tp_curl_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(r.body.count))
            _ = tp_curl_setopt_long(
                easy, CURLOPT_USE_SSL,
                r.requireTLS ? tp_curl_usessl_all() : r.tryTLS ? tp_curl_usessl_try() : tp_curl_usessl_none())
        } else {
            isHTTP = true
            if Transfer.hasPrefix(r.url, "http://") {
                // h2c connections are not reused by libcurl 7.88; HTTP/1.1 keep-alive is.
                _ = tp_curl_setopt_long(easy, CURLOPT_HTTP_VERSION, tp_curl_http_version_1_1())
            }
            if r.method == "POST" {
                let copy = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: max(1, r.body.count), alignment: 1)
                r.body.withUnsafeBytes { copy.copyMemory(from: $0) }
                postFields = copy
                _ = tp_curl_setopt_long(easy, CURLOPT_POST, 1)
                _ = tp_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.count))
                _ = tp_curl_setopt_pointer(easy, CURLOPT_POSTFIELDS, copy.baseAddress)
            } else if r.method != "GET" {
                _ = tp_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, r.method)
            }
            // An empty `Expect:` stops libcurl waiting a second for `100 Continue` on larger bodies.
            for line in r.headers { headerList = curl_slist_append(headerList, line) }
            headerList = curl_slist_append(headerList, "Expect:")
            _ = tp_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        }
    }

    /// Whether the message may have reached the peer: for HTTP, request bytes went out on the socket; for
    /// SMTP, libcurl was sending the message after the server accepted DATA.
    func bodyStarted(_ easy: UnsafeMutableRawPointer) -> Bool {
        if readStarted { return true }
        guard isHTTP else { return false }
        var sent = 0
        _ = tp_curl_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &sent)
        return sent > 0
    }

    /// Whether `url` starts with `prefix` (lowercase ASCII), ignoring case, without allocating.
    static func hasPrefix(_ url: String, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { p in
            var it = url.utf8.makeIterator()
            for expected in p {
                guard let c = it.next() else { return false }
                let lower = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
                if lower != expected { return false }
            }
            return true
        }
    }

    func result(_ easy: UnsafeMutableRawPointer, code: CURLcode) -> TransferResult {
        var status = 0
        _ = tp_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var text = String(cString: errorBuffer)
        if text.isEmpty && code != CURLE_OK { text = String(cString: curl_easy_strerror(code)) }
        return TransferResult(
            curlCode: Int(code.rawValue), status: status, headerLines: headerLines, body: response,
            errorText: text,
            bodyStarted: bodyStarted(easy))
    }

    private static let onWrite: tp_curl_data_callback = { buffer, size, count, userdata in
        let me = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * count
        if let buffer, me.response.count < responseLimit {
            let take = min(n, responseLimit - me.response.count)
            buffer.withMemoryRebound(to: UInt8.self, capacity: take) {
                me.response.append(contentsOf: UnsafeBufferPointer(start: $0, count: take))
            }
        }
        return n
    }

    private static let onHeader: tp_curl_data_callback = { buffer, size, count, userdata in
        let me = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * count
        guard let buffer else { return n }
        // Trimmed as bytes before decoding: header lines are ASCII-framed, and Character-wise trimming of
        // every line showed up in profiles.
        let line = buffer.withMemoryRebound(to: UInt8.self, capacity: n) { p -> String in
            var start = 0
            var end = n
            while start < end, Transfer.isSpace(p[start]) { start += 1 }
            while end > start, Transfer.isSpace(p[end - 1]) { end -= 1 }
            return String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
        }
        // A new status line (after 100 Continue or a retried request) starts a fresh header set.
        if line.hasPrefix("HTTP/") { me.headerLines.removeAll() }
        if !line.isEmpty, me.headerLines.count < 200 { me.headerLines.append(line) }
        return n
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A || b == 0x0B || b == 0x0C
    }

    private static let onRead: tp_curl_data_callback = { buffer, size, count, userdata in
        let me = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        me.readStarted = true
        let body = me.request.body
        let n = min(size * count, body.count - me.offset)
        guard n > 0, let buffer else { return 0 }
        body.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + me.offset, byteCount: n)
        }
        me.offset += n
        return n
    }

    private static let onSeek: tp_curl_seek_callback = { userdata, offset, origin in
        let me = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        // libcurl rewinds only to the start (SEEK_SET) when it re-sends on a fresh connection.
        guard origin == SEEK_SET, offset >= 0, Int(offset) <= me.request.body.count else { return 1 }
        me.offset = Int(offset)
        return 0
    }
}
