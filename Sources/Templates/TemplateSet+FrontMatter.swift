import TouchpointCore
import Yams

extension TemplateSet {
    /// Keys allowed in front matter, per file kind.
    static func frontMatterKeys(_ kind: FileKind) -> [String] {
        switch kind {
        case .email: ["subject", "preheader"]
        case .chat: ["buttons"]
        case .sms, .emailText: []
        }
    }

    /// The outcome of looking for `---` front matter.
    enum FrontMatterSplit {
        case none
        case unclosed
        case split(yaml: String, body: String, bodyLineOffset: Int)
    }

    /// Splits `---` front matter off the top of `text`.
    static func splitFrontMatter(_ text: String) -> FrontMatterSplit {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func isFence(_ line: Substring) -> Bool {
            var l = line
            while let last = l.last, last == "\r" || last == " " || last == "\t" { l = l.dropLast() }
            return l == "---"
        }
        guard let first = lines.first, isFence(first) else { return .none }
        guard let close = lines.indices.dropFirst().first(where: { isFence(lines[$0]) }) else {
            return .unclosed
        }
        let yaml = lines[1..<close].joined(separator: "\n")
        let body = lines[(close + 1)...].joined(separator: "\n")
        return .split(yaml: yaml, body: body, bodyLineOffset: close + 1)
    }

    /// Parses a template file of `kind`; `nil` (with diagnostics) when it cannot be used.
    static func parseFile(
        kind: FileKind, locale: String?, text: String, path: String, diagnostics: inout [Diagnostic]
    ) -> TemplateFile? {
        let errorsBefore = diagnostics.count
        func piece(_ source: String, html: Bool, lineOffset: Int, columnOffset: Int) -> TemplatePiece? {
            switch TemplatePiece.parse(
                source, html: html, file: path, lineOffset: lineOffset, columnOffset: columnOffset)
            {
            case .success(let piece):
                return piece
            case .failure(let problem):
                diagnostics.append(
                    .error(
                        "template-syntax", problem.message,
                        at: SourceLocation(file: path, line: problem.line, column: problem.column)))
                return nil
            }
        }

        var bodyText = text
        var bodyLineOffset = 0
        var frontMatter: Node.Mapping?
        let keys = frontMatterKeys(kind)
        if !keys.isEmpty {
            switch splitFrontMatter(text) {
            case .none:
                break
            case .unclosed:
                diagnostics.append(
                    .error(
                        "front-matter", "front matter opened with '---' is never closed",
                        at: SourceLocation(file: path, line: 1, column: 1)))
                return nil
            case .split(let yaml, let body, let offset):
                bodyText = body
                bodyLineOffset = offset
                frontMatter = parseYAML(yaml, path: path, diagnostics: &diagnostics)
                if frontMatter == nil { return nil }
            }
        }

        // Front-matter values sit in YAML starting on file line 2.
        func scalarPiece(_ node: Node, key: String, html: Bool) -> TemplatePiece? {
            guard let scalar = node.scalar else {
                diagnostics.append(
                    .error(
                        "front-matter",
                        "'\(key)' must be text; quote a value that starts with '{{', like \(key): \"{{customer.first_name}}, hi\"",
                        at: location(node.mark, path: path)))
                return nil
            }
            let (line, column) = (scalar.mark?.line ?? 1, scalar.mark?.column ?? 1)
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            let block = scalar.style == .literal || scalar.style == .folded
            return piece(
                scalar.string, html: html, lineOffset: line + (block ? 1 : 0),
                columnOffset: block ? 0 : column - 1 + (quoted ? 1 : 0))
        }

        var subject: TemplatePiece?
        var preheader: TemplatePiece?
        var buttons: [ButtonPieces] = []
        for (keyNode, value) in frontMatter ?? Node.Mapping([]) {
            guard let key = keyNode.string else {
                diagnostics.append(
                    .error(
                        "front-matter", "front-matter keys must be text",
                        at: location(keyNode.mark, path: path)))
                continue
            }
            guard keys.contains(key) else {
                diagnostics.append(
                    .error(
                        "unknown-key",
                        "unknown key '\(key)' in \(kind.rawValue) front matter\(Suggest.didYouMean(key, in: keys))",
                        at: location(keyNode.mark, path: path)))
                continue
            }
            switch key {
            case "subject":
                if value.string?.trimmingCharacters(in: .whitespaces).isEmpty == true {
                    diagnostics.append(
                        .error(
                            "missing-subject", "'subject' is empty",
                            at: location(value.mark ?? keyNode.mark, path: path)))
                } else {
                    subject = scalarPiece(value, key: key, html: false)
                }
            case "preheader":
                preheader = scalarPiece(value, key: key, html: false)
            case "buttons":
                buttons = parseButtons(
                    value, path: path, report: { diagnostics.append($0) }, scalarPiece: scalarPiece)
            default:
                break
            }
        }
        if kind == .email, subject == nil, diagnostics.count == errorsBefore {
            diagnostics.append(
                .error(
                    "missing-subject",
                    "email template needs front matter with a 'subject', like:\n---\nsubject: \"Hi {{customer.first_name}}\"\n---",
                    at: SourceLocation(file: path, line: 1, column: 1)))
        }
        let body = piece(bodyText, html: kind == .email, lineOffset: bodyLineOffset, columnOffset: 0)
        guard diagnostics.count == errorsBefore, let body else { return nil }
        return TemplateFile(
            kind: kind, locale: locale, path: path, body: body, subject: subject, preheader: preheader,
            buttons: buttons)
    }

    private static func parseYAML(_ yaml: String, path: String, diagnostics: inout [Diagnostic]) -> Node
        .Mapping?
    {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            var message = "\(error)"
            var place = SourceLocation(file: path, line: 2, column: 0)
            switch error {
            case .scanner(let context, let problem, let mark, _),
                .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                message = "invalid front matter: " + (context.map { "\($0.text) " } ?? "") + problem
                place = SourceLocation(file: path, line: mark.line + 1, column: mark.column)
            default:
                break
            }
            diagnostics.append(.error("front-matter", message, at: place))
            return nil
        } catch {
            diagnostics.append(
                .error(
                    "front-matter", "invalid front matter: \(error)", at: SourceLocation(file: path, line: 2))
            )
            return nil
        }
        guard let node else { return Node.Mapping([]) }
        guard let mapping = node.mapping else {
            diagnostics.append(
                .error(
                    "front-matter", "front matter must be 'key: value' lines",
                    at: location(node.mark, path: path)))
            return nil
        }
        return mapping
    }

    private static func parseButtons(
        _ node: Node, path: String, report: (Diagnostic) -> Void,
        scalarPiece: (Node, String, Bool) -> TemplatePiece?
    ) -> [ButtonPieces] {
        guard let sequence = node.sequence else {
            report(
                .error(
                    "front-matter", "'buttons' must be a list like [{label: Open, url: \"https://…\"}]",
                    at: location(node.mark, path: path)))
            return []
        }
        var buttons: [ButtonPieces] = []
        for item in sequence {
            guard let mapping = item.mapping else {
                report(
                    .error(
                        "front-matter", "each button needs 'label' and 'url'",
                        at: location(item.mark, path: path)))
                continue
            }
            var label: TemplatePiece?
            var url: TemplatePiece?
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                switch key {
                case "label": label = scalarPiece(value, "label", false)
                case "url": url = scalarPiece(value, "url", false)
                default:
                    report(
                        .error(
                            "unknown-key",
                            "unknown key '\(key)' in button\(Suggest.didYouMean(key, in: ["label", "url"]))",
                            at: location(keyNode.mark, path: path)))
                }
            }
            for (name, piece) in [("label", label), ("url", url)] where piece == nil && mapping[name] == nil {
                report(
                    .error("front-matter", "button is missing '\(name)'", at: location(item.mark, path: path))
                )
            }
            if let label, let url { buttons.append(ButtonPieces(label: label, url: url)) }
        }
        return buttons
    }

    /// A YAML mark (line 1 = the line after the opening `---`) as a file location.
    static func location(_ mark: Mark?, path: String) -> SourceLocation {
        guard let mark else { return SourceLocation(file: path, line: 2) }
        return SourceLocation(file: path, line: mark.line + 1, column: mark.column)
    }
}
