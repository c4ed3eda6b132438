import Foundation
import TouchpointCore

/// Writes each message as one file into a folder: `<messageId>.eml` for email (the full RFC 5322 message, as
/// SMTP would send it), `<messageId>.json` (the webhook's generic payload) otherwise. The embedded default.
///
/// Options: `path` (required), `from`, `from_name` (email). Writes are atomic (a temporary file renamed into
/// place) and idempotent: a retry rewrites the same name with the same bytes.
public struct FileAdapter: ChannelAdapter {
    /// `file`.
    public let kind = "file"
    /// The folder messages land in.
    public let folder: URL
    /// How email is rendered.
    public let mime: MIMEMessage

    /// The same name is rewritten, so a repeat is harmless.
    public var peerDeduplicates: Bool { true }

    /// The registration for ``AdapterRegistry``.
    public static let registration = AdapterRegistry.Registration(
        kind: "file", required: ["path"], optional: ["from", "from_name"]
    ) { options, _ in
        try FileAdapter(
            folder: URL(fileURLWithPath: options.required("path")),
            mime: MIMEMessage(from: options["from"] ?? "touchpoint@localhost", fromName: options["from_name"])
        )
    }

    /// An adapter writing into `folder`.
    public init(folder: URL, mime: MIMEMessage = MIMEMessage(from: "touchpoint@localhost")) {
        self.folder = folder.standardizedFileURL
        self.mime = mime
    }

    /// The file's bytes and its URL.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        let id = message.messageId
        guard !id.isEmpty, !id.hasPrefix("."),
            id.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0))
            })
        else { throw AdapterConfigError("message id '\(id)' cannot be a file name") }
        let body: [UInt8]
        let name: String
        if message.channel == .email {
            body = try mime.render(message, now: now)
            name = id + ".eml"
        } else {
            body = Array((WebhookAdapter.genericPayload(message).jsonText + "\n").utf8)
            name = id + ".json"
        }
        return PreparedRequest(
            kind: kind, messageId: id, url: folder.appendingPathComponent(name).absoluteString,
            method: "FILE",
            body: Data(body), recipients: [message.to], idempotencyKey: id)
    }

    /// Writes the file atomically; an I/O failure is worth a retry (a full disk drains).
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        guard let target = URL(string: request.url), target.isFileURL else {
            return .permanent(answer: "not a file URL: \(request.url)")
        }
        let fm = FileManager.default
        let temp = target.deletingLastPathComponent().appendingPathComponent(
            ".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try request.body.write(to: temp)
            // rename(2) replaces the target atomically: readers see the old file or the new one, never half.
            guard rename(temp.path, target.path) == 0 else {
                let why = String(cString: strerror(errno))
                try? fm.removeItem(at: temp)
                return .retry(after: nil, answer: "rename \(target.path): \(why)")
            }
            return .delivered(providerId: target.path, answer: "wrote \(target.path)")
        } catch {
            try? fm.removeItem(at: temp)
            return .retry(after: nil, answer: "write \(target.path): \(error.localizedDescription)")
        }
    }
}
