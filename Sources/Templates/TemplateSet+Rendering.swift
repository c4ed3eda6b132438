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
        guard let files = templates[template] else {
            return .failure(
                .renderError(
                    "unknown template '\(template)'\(Suggest.didYouMean(template, in: templates.keys))"))
        }
        let kind = FileKind(channel)
        guard let file = Self.resolve(files, kind: kind, locale: locale) else {
            let wanted = locale.map { " for locale '\($0)'" } ?? ""
            return .failure(.renderError("template '\(template)' has no \(channel.rawValue) file\(wanted)"))
        }
        let textPart = kind == .email ? files[FileKey(kind: .emailText, locale: file.locale)] : nil

        for (piece, path) in file.pieces.map({ ($0, file.path) })
            + (textPart.map { [($0.body, $0.path)] } ?? [])
        {
            switch StrictWalk.check(piece.nodes, context: context) {
            case nil:
                continue
            case .missing(let name):
                return .failure(.missingVariable(name: name, template: template, file: path))
            case .notAValue(let name, let typeName):
                return .failure(
                    .renderError("variable '\(name)' in \(path) is a \(typeName), which has no text form"))
            }
        }

        let data = MustacheValue.convert(context)
        var content = RenderedContent(template: template, channel: channel, locale: file.locale, text: "")
        switch kind {
        case .email, .emailText:
            content.subject = file.subject.map { Self.oneLine($0.mustache.render(data)) }
            content.preheader = file.preheader.map { Self.oneLine($0.mustache.render(data)) }
            let html = Self.trimmed(file.body.mustache.render(data))
            content.html = html
            content.text =
                textPart.map { Self.trimmed($0.body.mustache.render(data)) } ?? HTMLText.derive(from: html)
        case .sms:
            content.text = Self.trimmingTrailing(file.body.mustache.render(data))
            content.sms = SMSInfo.measure(content.text)
        case .chat:
            content.text = Self.trimmingTrailing(file.body.mustache.render(data))
            content.buttons = file.buttons.map {
                Button(
                    label: Self.oneLine($0.label.mustache.render(data)),
                    url: Self.oneLine($0.url.mustache.render(data)))
            }
        }
        return .success(content)
    }

    /// Headers and button fields cannot hold line breaks: runs of whitespace become one space.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func trimmed(_ text: String) -> String {
        var s = Substring(text)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    static func trimmingTrailing(_ text: String) -> String {
        var s = Substring(text)
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
