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

    /// `Content-Type` of an email file (`<id>.eml`).
    public static let emailType = "message/rfc822"
    /// `Content-Type` of any other file (`<id>.json`).
    public static let jsonType = "application/json"

    /// The file a request is written to: in the configured folder, named by message id and content type.
    public func target(for request: PreparedRequest) -> URL {
        let ext = request.header("Content-Type") == FileAdapter.emailType ? ".eml" : ".json"
        return folder.appendingPathComponent(request.messageId + ext)
    }

    /// The file's bytes and what they are.
    public func prepare(_ message: OutboundMessage, now: Instant) throws -> PreparedRequest {
        let id = message.messageId
        // ASCII letters, digits, `-`, `_` and `.`, checked by byte.
        guard !id.isEmpty, !id.hasPrefix("."),
            id.utf8.allSatisfy({ $0.isASCIILetterOrDigit || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { throw AdapterConfigError("message id '\(id)' cannot be a file name") }
        let body: [UInt8]
        let type: String
        if message.channel == .email {
            body = try mime.render(message, now: now)
            type = FileAdapter.emailType
        } else {
            body = Array((WebhookAdapter.genericPayload(message).jsonText + "\n").utf8)
            type = FileAdapter.jsonType
        }
        return PreparedRequest(
            kind: kind, messageId: id, method: "FILE", headers: [.init("Content-Type", type)],
            body: Data(body), recipients: [message.to], idempotencyKey: id)
    }

    /// Writes the file atomically, `0600` in a folder created `0700` (the files hold addresses); an I/O
    /// failure is worth a retry (a full disk drains). The blocking calls run on ``FileWriter/shared``.
    public func send(_ request: PreparedRequest) async -> DeliveryOutcome {
        let target = target(for: request)
        return await FileWriter.shared.run { FileAdapter.writeAtomically(request.body, to: target) }
    }

    /// Writes `body` to a temporary file beside `target` and renames it into place. Blocks.
    static func writeAtomically(_ body: Data, to target: URL) -> DeliveryOutcome {
        let fm = FileManager.default
        let folder = target.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            do {
                try FileAdapter.writePrivate(body, to: temp)
            } catch let error as CocoaError where error.code == .fileNoSuchFile {
                // The folder is made when a write finds it missing, not looked up before every write.
                try fm.createDirectory(
                    at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try FileAdapter.writePrivate(body, to: temp)
            }
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

    /// Creates `url` with mode `0600` (not the umask's) and writes `data` to it.
    static func writePrivate(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code: CocoaError.Code = errno == ENOENT ? .fileNoSuchFile : .fileWriteUnknown
            throw CocoaError(code, userInfo: [NSFilePathErrorKey: url.path])
        }
        defer { close(fd) }
        var done = 0
        try data.withUnsafeBytes { raw in
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                guard n > 0 else {
                    throw CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: url.path])
                }
                done += n
            }
        }
    }
}
