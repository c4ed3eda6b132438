import TouchpointCore

extension TemplateSet {
    /// The context roots a template can use (SPEC §3).
    public static let contextRoots = ["customer", "event", "message", "rule"]

    /// Known members of the closed context roots; `customer` traits and `event.properties`
    /// are open-ended.
    public static let contextMembers: [String: [String]] = [
        "message": ["id", "channel", "unsubscribe_url"],
        "rule": ["name"],
        "event": ["name", "timestamp", "properties", "message_id"],
    ]

    /// swift-mustache's built-in transforms (`{{uppercased(customer.name)}}`).
    public static let knownTransforms = [
        "capitalized", "lowercased", "uppercased", "reversed", "empty", "first", "last", "count", "sorted",
        "enumerated", "equalzero", "plusone", "minusone", "even", "odd",
    ]

    /// Every variable and section tag in `template`'s files (all channels and locales, front
    /// matter included), with file positions, in file then document order.
    public func variables(template: String) -> [TemplateVariable] {
        guard let files = templates[template] else { return [] }
        var out: [TemplateVariable] = []
        for file in files.values.sorted(by: { $0.path < $1.path }) {
            for piece in file.pieces {
                collect(piece.nodes, piece: piece, file: file.path, scopes: [], tests: [], into: &out)
            }
        }
        return out
    }

    private func collect(
        _ nodes: [MustacheNode], piece: TemplatePiece, file: String, scopes: [[String]], tests: [[String]],
        into out: inout [TemplateVariable]
    ) {
        func variable(_ tag: MustacheTag, _ kind: TemplateVariable.Kind) -> TemplateVariable {
            let (line, column) = piece.position(line: tag.line, column: tag.column)
            let path = tag.path
            let guarded = tests.contains { test in
                test.count <= path.count && Array(path.prefix(test.count)) == test
            }
            return TemplateVariable(
                path: path, written: tag.written, kind: kind, file: file, line: line, column: column,
                guarded: guarded,
                scopes: scopes)
        }
        for node in nodes {
            switch node {
            case .text:
                continue
            case .variable(let tag, _):
                out.append(variable(tag, .variable))
            case .section(let tag, let inverted, let body):
                out.append(variable(tag, inverted ? .invertedSection : .section))
                collect(
                    body, piece: piece, file: file, scopes: inverted ? scopes : scopes + [tag.path],
                    tests: tests + [tag.path], into: &out)
            }
        }
    }

    /// Checks every template variable against what the render context can provide (SPEC §8):
    /// unknown roots (`custmer`) and unknown members of `message`, `rule` and `event` are
    /// errors with a did-you-mean, as are unknown transforms.
    ///
    /// Inside a list section a name may come from the list element, so an unknown root there
    /// is only warned about when it is a near miss of a real root.
    public func checkVariables() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for name in templateNames {
            for v in variables(template: name) {
                let at = SourceLocation(file: v.file, line: v.line, column: v.column)
                for transform in transformNames(v.written) where !Self.knownTransforms.contains(transform) {
                    diagnostics.append(
                        .error(
                            "unknown-transform",
                            "unknown transform '\(transform)'\(Suggest.didYouMean(transform, in: Self.knownTransforms))",
                            at: at))
                }
                guard let root = v.path.first, root != ".", !v.written.hasPrefix("."),
                    !v.written.contains("(.")
                else { continue }
                guard Self.contextRoots.contains(root) else {
                    if v.scopes.isEmpty {
                        diagnostics.append(
                            .error(
                                "unknown-variable",
                                "unknown variable root '\(root)'\(Suggest.didYouMean(root, in: Self.contextRoots)); the context has customer, event, message and rule",
                                at: at))
                    } else if let near = Suggest.nearest(root, in: Self.contextRoots) {
                        diagnostics.append(
                            .warning(
                                "unknown-variable",
                                "'\(root)' is not a context root, so it must come from the enclosing section; did you mean '\(near)'?",
                                at: at))
                    }
                    continue
                }
                guard let members = Self.contextMembers[root], v.path.count >= 2 else { continue }
                let member = v.path[1]
                guard members.contains(member) else {
                    diagnostics.append(
                        .error(
                            "unknown-variable",
                            "unknown variable '\(root).\(member)'\(Suggest.didYouMean(member, in: members)); \(root) has \(members.joined(separator: ", "))",
                            at: at))
                    continue
                }
                if v.path.count > 2, !(root == "event" && member == "properties") {
                    diagnostics.append(
                        .error(
                            "unknown-variable",
                            "'\(root).\(member)' is text and has no member '\(v.path[2])'",
                            at: at))
                }
            }
        }
        return diagnostics
    }

    private func transformNames(_ written: String) -> [String] {
        guard written.contains("(") else { return [] }
        return written.split(separator: "(").dropLast().map(String.init)
    }

    /// The text of `template`'s `channel` file outside every section, variables left out: the
    /// least a message from it contains. `nil` when there is no such file.
    public func staticText(template: String, channel: Channel, locale: String?) -> String? {
        guard let files = templates[template],
            let file = Self.resolve(files, kind: FileKind(channel), locale: locale)
        else { return nil }
        return file.body.nodes.reduce(into: "") { text, node in
            if case .text(let t) = node { text += t }
        }
    }

    /// A lower bound on an SMS template's size: `SMSInfo.measure` of its static text.
    ///
    /// Variables and sections are not counted, so a rendered message can be longer, and
    /// UCS-2 from a customer's name can double its size. `check` should measure a rendered
    /// sample when it has one and fall back to this estimate.
    public func estimateSMS(template: String, locale: String?) -> SMSInfo? {
        staticText(template: template, channel: .sms, locale: locale).map {
            SMSInfo.measure(Self.trimmingTrailing($0))
        }
    }
}
