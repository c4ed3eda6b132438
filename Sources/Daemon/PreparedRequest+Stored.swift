import Channels
import Foundation
import TouchpointCore

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
        var w = StoredBytesWriter(
            capacity: 64 + body.count
                + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 8 })
        w.byte(Self.storedTag)
        w.fixed32String(kind)
        w.fixed32String(messageId)
        w.fixed32String(method)
        w.fixed32(headers.count)
        for h in headers {
            w.fixed32String(h.name)
            w.fixed32String(h.value)
        }
        w.fixed32(body.count)
        w.raw(body)
        if let mailFrom {
            w.byte(1)
            w.fixed32String(mailFrom)
        } else {
            w.byte(0)
        }
        w.fixed32(recipients.count)
        for r in recipients { w.fixed32String(r) }
        w.fixed32String(idempotencyKey)
        return Data(w.bytes)
    }

    /// Reads bytes written by ``storedBytes()``, or by earlier versions; `nil` when unreadable.
    static func stored(_ data: Data) -> PreparedRequest? {
        guard let first = data.first else { return nil }
        guard first == storedTag || first == storedTagWithURL else {
            guard let legacy = try? JSONDecoder().decode(LegacyJSON.self, from: data) else { return nil }
            return legacy.request.withLegacyURL(legacy.url)
        }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> PreparedRequest? in
            var r = StoredBytesReader(raw, at: 1)
            do {
                let kind = try r.fixed32String()
                let messageId = try r.fixed32String()
                let legacyURL = first == storedTagWithURL ? try r.fixed32String() : nil
                let method = try r.fixed32String()
                var headers: [Header] = []
                for _ in 0..<(try r.fixed32()) {
                    headers.append(Header(try r.fixed32String(), try r.fixed32String()))
                }
                let body = Data(try r.slice(try r.fixed32()))
                let mailFrom = try r.bool() ? try r.fixed32String() : nil
                var recipients: [String] = []
                for _ in 0..<(try r.fixed32()) { recipients.append(try r.fixed32String()) }
                let key = try r.fixed32String()
                guard r.atEnd else { return nil }
                return PreparedRequest(
                    kind: kind, messageId: messageId, method: method, headers: headers, body: body,
                    mailFrom: mailFrom, recipients: recipients, idempotencyKey: key
                ).withLegacyURL(legacyURL)
            } catch {
                return nil
            }
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
