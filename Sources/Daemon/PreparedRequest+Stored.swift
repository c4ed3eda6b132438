import Channels
import Foundation

// The outbox keeps each prepared request as bytes. JSON (`Codable`) was the first encoding; decoding it
// cost about as much CPU per message as the whole outbox transaction, so rows use a length-prefixed
// binary layout instead. Layout 1 also held the endpoint URL (a secret for a Slack webhook) and layout 2
// does not: endpoints are resolved at send time. Rows written as JSON or in layout 1 by an earlier
// version are still read, their URL dropped.
extension PreparedRequest {
    /// First byte of the binary layout written now; a JSON encoding starts with `{`.
    static let storedTag: UInt8 = 0x02
    /// First byte of the earlier layout, with the URL after the message id.
    static let storedTagWithURL: UInt8 = 0x01

    /// The bytes the outbox keeps for this request.
    func storedBytes() -> Data {
        var out = [UInt8]()
        out.reserveCapacity(
            64 + body.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 8 })
        out.append(Self.storedTag)
        func put(_ n: Int) {
            let v = UInt32(n)
            out.append(contentsOf: [
                UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24),
            ])
        }
        func put(_ s: String) {
            put(s.utf8.count)
            out.append(contentsOf: s.utf8)
        }
        put(kind)
        put(messageId)
        put(method)
        put(headers.count)
        for h in headers {
            put(h.name)
            put(h.value)
        }
        put(body.count)
        out.append(contentsOf: body)
        if let mailFrom {
            out.append(1)
            put(mailFrom)
        } else {
            out.append(0)
        }
        put(recipients.count)
        for r in recipients { put(r) }
        put(idempotencyKey)
        return Data(out)
    }

    /// Reads bytes written by ``storedBytes()``, or by earlier versions; `nil` when unreadable.
    static func stored(_ data: Data) -> PreparedRequest? {
        guard let first = data.first else { return nil }
        guard first == storedTag || first == storedTagWithURL else {
            guard let legacy = try? JSONDecoder().decode(LegacyJSON.self, from: data) else { return nil }
            return legacy.request.withLegacyURL(legacy.url)
        }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> PreparedRequest? in
            var reader = StoredReader(buffer: raw, at: 1)
            guard let kind = reader.string(), let messageId = reader.string() else { return nil }
            var legacyURL: String?
            if first == storedTagWithURL {
                guard let url = reader.string() else { return nil }
                legacyURL = url
            }
            guard let method = reader.string(), let headerCount = reader.count() else { return nil }
            var headers: [Header] = []
            headers.reserveCapacity(headerCount)
            for _ in 0..<headerCount {
                guard let name = reader.string(), let value = reader.string() else { return nil }
                headers.append(Header(name, value))
            }
            guard let body = reader.data(), let hasFrom = reader.byte() else { return nil }
            var mailFrom: String?
            if hasFrom == 1 {
                guard let from = reader.string() else { return nil }
                mailFrom = from
            }
            guard let recipientCount = reader.count() else { return nil }
            var recipients: [String] = []
            for _ in 0..<recipientCount {
                guard let r = reader.string() else { return nil }
                recipients.append(r)
            }
            guard let key = reader.string(), reader.atEnd else { return nil }
            return PreparedRequest(
                kind: kind, messageId: messageId, method: method, headers: headers, body: body,
                mailFrom: mailFrom, recipients: recipients, idempotencyKey: key
            ).withLegacyURL(legacyURL)
        }
    }

    /// A request as an earlier version stored it, its URL beside it.
    private struct LegacyJSON: Decodable {
        var request: PreparedRequest
        var url: String?

        private enum Keys: String, CodingKey { case url }

        init(from decoder: any Decoder) throws {
            request = try PreparedRequest(from: decoder)
            url = try decoder.container(keyedBy: Keys.self).decodeIfPresent(String.self, forKey: .url)
        }
    }

    /// The one thing an earlier version's URL still tells: which file a `file` adapter row was to write
    /// (`.eml` or `.json`), now said by `Content-Type`. Signature headers stored then are dropped: the
    /// webhook adapter signs each attempt itself.
    private func withLegacyURL(_ url: String?) -> PreparedRequest {
        guard let url else { return self }
        var out = self
        out.headers.removeAll { WebhookAdapter.signingHeaders.contains($0.name.lowercased()) }
        if kind == "file", header("Content-Type") == nil {
            out.headers.append(
                Header("Content-Type", url.hasSuffix(".eml") ? FileAdapter.emailType : FileAdapter.jsonType))
        }
        return out
    }
}

/// A bounds-checked cursor over ``PreparedRequest/storedBytes()``: every read fails (`nil`) past the end.
private struct StoredReader {
    let buffer: UnsafeRawBufferPointer
    var at: Int

    init(buffer: UnsafeRawBufferPointer, at: Int) {
        self.buffer = buffer
        self.at = at
    }

    var atEnd: Bool { at == buffer.count }

    mutating func byte() -> UInt8? {
        guard at < buffer.count else { return nil }
        defer { at += 1 }
        return buffer[at]
    }

    /// A length or count; at most the bytes left, so a corrupt count cannot ask for a huge allocation.
    mutating func count() -> Int? {
        guard buffer.count - at >= 4 else { return nil }
        let n =
            Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
        at += 4
        return n <= buffer.count - at ? n : nil
    }

    mutating func slice() -> UnsafeRawBufferPointer? {
        guard let n = count() else { return nil }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: buffer[at..<at + n])
    }

    mutating func string() -> String? {
        slice().map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func data() -> Data? {
        slice().map { Data($0) }
    }
}
