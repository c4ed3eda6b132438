import TouchpointCore

extension TemplateSet {
    /// Renders `template` for `channel` in `locale` (falling back `zh-CN` → `zh` → default).
    ///
    /// Strict (SPEC §3): a rendered variable that is missing or `null` in `context` fails with
    /// `.missingVariable` instead of printing nothing; variables inside a section that is
    /// skipped for this context never count. `context` is the JSON object with `customer`,
    /// `event`, `message` and `rule`.
    public func render(
        template: String, channel: Channel, locale: String?, context: JSONValue
    ) -> Result<RenderedContent, RenderFailure> {
        let file: TemplateFile
        let textPart: TemplateFile?
        switch files(for: template, channel: channel, locale: locale) {
        case .success(let found): (file, textPart) = found
        case .failure(let failure): return .failure(failure)
        }
        let kind = FileKind(channel)

        // Pieces render in the order the strict check used to visit them (subject, preheader,
        // body, buttons, then the text part), so the first failure reported is the same one.
        func render(_ piece: TemplatePiece, path: String) throws(RenderFailure) -> [UInt8] {
            switch piece.renderUTF8(context: context, library: partials, locale: file.locale) {
            case .success(let bytes):
                return bytes
            case .failure(let problem):
                throw problem.failure(template: template, file: path)
            }
        }

        var content = RenderedContent(template: template, channel: channel, locale: file.locale, text: "")
        do throws(RenderFailure) {
            switch kind {
            case .email, .emailText:
                if let subject = file.subject {
                    content.subject = Self.oneLine(Self.string(try render(subject, path: file.path)))
                }
                if let preheader = file.preheader {
                    content.preheader = Self.oneLine(Self.string(try render(preheader, path: file.path)))
                }
                let html = Self.trimmed(try render(file.body, path: file.path), leading: true)
                content.html = html
                if let textPart {
                    content.text = Self.trimmed(try render(textPart.body, path: textPart.path), leading: true)
                } else {
                    content.text = HTMLText.derive(from: html)
                }
            case .sms:
                content.text = Self.trimmed(try render(file.body, path: file.path), leading: false)
                content.sms = SMSInfo.measure(content.text)
            case .chat:
                if slackChat {
                    let escaped = Self.slackEscaped(context)
                    switch file.body.renderUTF8(context: escaped, library: partials, locale: file.locale) {
                    case .success(let bytes): content.text = Self.trimmed(bytes, leading: false)
                    case .failure(let problem): throw problem.failure(template: template, file: file.path)
                    }
                } else {
                    content.text = Self.trimmed(try render(file.body, path: file.path), leading: false)
                }
                var buttons: [Button] = []
                buttons.reserveCapacity(file.buttons.count)
                for button in file.buttons {
                    let label = Self.oneLine(Self.string(try render(button.label, path: file.path)))
                    let url = Self.oneLine(Self.string(try render(button.url, path: file.path)))
                    buttons.append(Button(label: label, url: url))
                }
                content.buttons = buttons
            }
        } catch {
            return .failure(error)
        }
        return .success(content)
    }

    /// `context` with `&`, `<`, `>` in every string escaped as Slack's `mrkdwn` wants (`&amp;`, `&lt;`, `&gt;`).
    public static func slackEscaped(_ context: JSONValue) -> JSONValue {
        switch context {
        case .string(let s):
            guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E }) else { return context }
            var out = ""
            out.reserveCapacity(s.utf8.count + 8)
            for ch in s.unicodeScalars {
                switch ch {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                default: out.unicodeScalars.append(ch)
                }
            }
            return .string(out)
        case .array(let items): return .array(items.map(slackEscaped))
        case .object(let members): return .object(members.mapValues(slackEscaped))
        default: return context
        }
    }

    /// Headers and button fields cannot hold line breaks: runs of whitespace become one space.
    static func oneLine(_ text: String) -> String {
        if let fast = oneLineBytes(text) { return fast }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `trimmed` (or, without `leading`, `trimmingTrailing`) of the text `bytes` hold, cutting
    /// the bytes before a String is made when `trimmedBytes` would have cut at the same places.
    static func trimmed(_ bytes: [UInt8], leading: Bool) -> String {
        var lo = 0
        var hi = bytes.count
        if leading {
            while lo < hi, isASCIISpace(bytes[lo]) { lo += 1 }
        }
        while lo < hi, isASCIISpace(bytes[hi - 1]) { hi -= 1 }
        if lo == hi { return "" }
        guard bytes[lo] < 0x80, bytes[hi - 1] < 0x80 else {
            let text = string(bytes)
            return leading ? trimmed(text) : trimmingTrailing(text)
        }
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }

    static func trimmed(_ text: String) -> String {
        if let fast = trimmedBytes(text, leading: true) { return fast }
        var s = Substring(text)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    static func trimmingTrailing(_ text: String) -> String {
        if let fast = trimmedBytes(text, leading: false) { return fast }
        var s = Substring(text)
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    /// ASCII white space: the only white space a byte scan may judge on its own.
    @inline(__always)
    private static func isASCIISpace(_ b: UInt8) -> Bool {
        b == 32 || (b >= 9 && b <= 13)
    }

    /// `trimmed`/`trimmingTrailing` over bytes; `nil` when the text that would stay starts or ends
    /// with a non-ASCII byte, where a Character could be white space or hold a combining mark.
    private static func trimmedBytes(_ text: String, leading: Bool) -> String? {
        let utf8 = text.utf8
        var lo = utf8.startIndex
        var hi = utf8.endIndex
        if leading {
            while lo < hi, isASCIISpace(utf8[lo]) { lo = utf8.index(after: lo) }
        }
        while lo < hi, isASCIISpace(utf8[utf8.index(before: hi)]) { hi = utf8.index(before: hi) }
        if lo == hi { return "" }
        guard utf8[lo] < 0x80, utf8[utf8.index(before: hi)] < 0x80 else { return nil }
        if lo == utf8.startIndex, hi == utf8.endIndex { return text }
        return String(text[lo..<hi])
    }

    /// `oneLine` over bytes, when every non-ASCII scalar is one that is neither white space nor
    /// joins its neighbours into a Character.
    private static func oneLineBytes(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if isASCIISpace(b) {
                    pendingSpace = !out.isEmpty
                    i += 1
                    continue
                }
                if pendingSpace { out.append(32) }
                pendingSpace = false
                if b < 0x80 {
                    out.append(b)
                    i += 1
                    continue
                }
                let length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for k in 1..<length { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
                guard value != 0xA0, HTMLText.isPlainScalar(value) else { return nil }
                out.append(contentsOf: bytes[i..<(i + length)])
                i += length
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
