import TouchpointCore

extension TemplateSet {
    /// Whether content rendered for `channel` goes out as Slack Block Kit (`format: slack` on chat), so
    /// ``blockKitFailure(_:)`` applies to it.
    public func sendsBlockKit(on channel: Channel) -> Bool {
        slackChat && channel == .chat
    }

    /// The `render-error` Slack would answer `content` with (a limit of ``SlackLimits`` broken, each named),
    /// or `nil`. Applied to content as it is sent, after link tracking: the engine holds the message back
    /// with it, in a dry-run and in the daemon alike.
    public func blockKitFailure(_ content: RenderedContent) -> RenderFailure? {
        guard sendsBlockKit(on: content.channel) else { return nil }
        let violations = SlackLimits.validate(
            text: content.text, buttons: content.buttons.map { ($0.label, $0.url) })
        guard !violations.isEmpty else { return nil }
        return .renderError(violations.map(\.message).joined(separator: "; "))
    }

    /// `check`'s warnings for `format: slack` chat templates whose own text already breaks a Block Kit
    /// limit, at the place of the text: a button label outside 1–75 characters, a button URL that is not
    /// `http(s)` or is longer than 3000, more than 25 buttons, section text longer than 3000. Values filled
    /// in at send time can only add to the text, so only what the template itself writes (outside sections
    /// and partials) is judged; the rest is checked at send time (``blockKitFailure(_:)``).
    public func checkSlackLimits() -> [Diagnostic] {
        guard slackChat else { return [] }
        var out: [Diagnostic] = []
        let files = templates.values.flatMap(\.values).filter { $0.kind == .chat }.sorted {
            $0.path < $1.path
        }
        for file in files {
            func warn(_ violation: SlackLimits.Violation?, _ piece: TemplatePiece, exact: Bool) {
                guard let violation else { return }
                let (line, column) = piece.position(line: 1, column: 1)
                let note = exact ? "" : " in the template's own text, before any value is filled in"
                out.append(
                    .warning(
                        "slack-limit", violation.message + note,
                        at: SourceLocation(file: file.path, line: line, column: column)))
            }
            let body = LiteralText(file.body)
            warn(
                SlackLimits.sectionTextProblem(Self.trimmingTrailing(body.text)), file.body,
                exact: body.isExact)
            if file.buttons.count > SlackLimits.actionsElements {
                let extra = file.buttons[SlackLimits.actionsElements].label
                warn(SlackLimits.actionsProblem(count: file.buttons.count), extra, exact: true)
            }
            for (i, button) in file.buttons.enumerated() {
                let n = i + 1
                let label = LiteralText(button.label)
                let labelText = Self.oneLine(label.text)
                // Only an exact label can be known empty: a value may fill an empty one in.
                if label.isExact || labelText.count > SlackLimits.buttonText {
                    warn(
                        SlackLimits.buttonTextProblem(labelText, button: n), button.label,
                        exact: label.isExact)
                }
                let url = LiteralText(button.url)
                let urlText = Self.oneLine(url.text)
                warn(SlackLimits.buttonURLLengthProblem(urlText, button: n), button.url, exact: url.isExact)
                let start = Self.oneLine(url.prefix)
                if url.isExact {
                    warn(SlackLimits.buttonURLSchemeProblem(urlText, button: n), button.url, exact: true)
                } else if !start.isEmpty, !Self.couldStartWebLink(start) {
                    warn(SlackLimits.buttonURLSchemeProblem(start, button: n), button.url, exact: false)
                }
            }
        }
        return out
    }

    /// Whether a URL that begins with `start` (more follows) can still be an `http(s)` link.
    static func couldStartWebLink(_ start: String) -> Bool {
        let lower = start.lowercased()
        return SlackLimits.webLinkPrefixes.contains { lower.hasPrefix($0) || $0.hasPrefix(lower) }
    }
}
