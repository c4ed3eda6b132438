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
    /// matter included), with file positions, in file then document order. Partials and parents
    /// are followed (the variant the file's locale renders), so their tags are listed at their
    /// place in the partial's file, inside the sections around the partial tag.
    public func variables(template: String) -> [TemplateVariable] {
        guard let files = templates[template] else { return [] }
        var out: [TemplateVariable] = []
        for file in files.values.sorted(by: { $0.path < $1.path }) {
            for piece in file.pieces {
                var walk = VariableCollector(library: partials, locale: file.locale)
                walk.collect(
                    piece.nodes, place: .init(path: file.path, piece: piece), scopes: [], tests: [],
                    into: &out)
            }
        }
        return out
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
        // A partial shared by several templates is listed once per template: report it once.
        var seen = Set<String>()
        return diagnostics.filter { d in
            seen.insert("\(d.location.map { "\($0.file):\($0.line):\($0.column)" } ?? "")\(d.message)")
                .inserted
        }
    }

    private func transformNames(_ written: String) -> [String] {
        guard written.contains("(") else { return [] }
        return written.split(separator: "(").dropLast().map(String.init)
    }

    /// The text of `template`'s `channel` file outside every section, variables left out, with
    /// partials and blocks expanded: the least a message from it contains. `nil` when there is no
    /// such file.
    public func staticText(template: String, channel: Channel, locale: String?) -> String? {
        guard let files = templates[template],
            let file = Self.resolve(files, kind: FileKind(channel), locale: locale)
        else { return nil }
        var bytes: [UInt8] = []
        staticText(file.body.nodes, locale: file.locale, overrides: [:], depth: 0, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private func staticText(
        _ nodes: [MustacheNode], locale: String?, overrides: [String: [MustacheNode]], depth: Int,
        into bytes: inout [UInt8]
    ) {
        guard depth < MustacheWalk.maxDepth else { return }
        for node in nodes {
            switch node {
            case .text(let text):
                bytes += text
            case .variable, .section:
                continue
            case .block(let name, _, let body):
                staticText(
                    overrides[name] ?? body, locale: locale, overrides: overrides, depth: depth, into: &bytes)
            case .partial(let name, _, let added):
                guard let partial = partials.resolve(name.name, locale: locale) else { continue }
                let merged = overrides.merging(added ?? [:]) { outer, _ in outer }
                staticText(partial.nodes, locale: locale, overrides: merged, depth: depth + 1, into: &bytes)
            }
        }
    }

    /// Every `{{> name}}` and `{{< name}}` that names no partial for its file's locale: an error at
    /// the tag, with the nearest partial name suggested.
    func checkPartialReferences() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func visit(_ nodes: [MustacheNode], locale: String?, path: String, piece: TemplatePiece?) {
            for node in nodes {
                switch node {
                case .text, .variable:
                    continue
                case .section(_, _, let body), .block(_, _, let body):
                    visit(body, locale: locale, path: path, piece: piece)
                case .partial(let name, _, let overrides):
                    for body in (overrides ?? [:]).values {
                        visit(body, locale: locale, path: path, piece: piece)
                    }
                    guard partials.resolve(name.name, locale: locale) == nil else { continue }
                    let (line, column) =
                        piece?.position(line: name.line, column: name.column) ?? (name.line, name.column)
                    let at = SourceLocation(file: path, line: line, column: column)
                    if let variants = partials.partials[name.name] {
                        let has = variants.keys.map { $0 ?? "the default" }.sorted().joined(separator: ", ")
                        diagnostics.append(
                            .error(
                                "unknown-partial",
                                "partial '\(name.name)' has no file for the \(locale.map { "'\($0)'" } ?? "default") locale (it has \(has)); add templates/\(Self.partialsFolder)/\(name.name).mustache",
                                at: at))
                        continue
                    }
                    let known = partials.names
                    let hint =
                        known.isEmpty
                        ? "; partials live in templates/\(Self.partialsFolder)/<name>.mustache"
                        : Suggest.didYouMean(name.name, in: known)
                    diagnostics.append(
                        .error("unknown-partial", "unknown partial '\(name.name)'\(hint)", at: at))
                }
            }
        }
        for name in templateNames {
            for file in (templates[name] ?? [:]).values.sorted(by: { $0.path < $1.path }) {
                for piece in file.pieces {
                    visit(piece.nodes, locale: file.locale, path: file.path, piece: piece)
                }
            }
        }
        for name in partials.names {
            for partial in (partials.partials[name] ?? [:]).values.sorted(by: { $0.path < $1.path }) {
                visit(partial.nodes, locale: partial.locale, path: partial.path, piece: nil)
            }
        }
        return diagnostics
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

/// Where the tags being collected sit: a file, and the piece inside it (for position offsets);
/// `piece` is `nil` inside a partial file, whose positions are the file's own.
private struct Place {
    var path: String
    var piece: TemplatePiece?

    func position(line: Int, column: Int) -> (line: Int, column: Int) {
        piece?.position(line: line, column: column) ?? (line, column)
    }
}

/// Lists variable tags through partials, parents and blocks, as `variables(template:)` returns.
private struct VariableCollector {
    let library: PartialLibrary
    let locale: String?
    var overrides: [String: (nodes: [MustacheNode], place: Place)] = [:]
    var expanding: [String] = []

    init(library: PartialLibrary, locale: String?) {
        self.library = library
        self.locale = locale
    }

    mutating func collect(
        _ nodes: [MustacheNode], place: Place, scopes: [[String]], tests: [[String]],
        into out: inout [TemplateVariable]
    ) {
        func variable(_ tag: MustacheName, _ kind: TemplateVariable.Kind) -> TemplateVariable {
            let (line, column) = place.position(line: tag.line, column: tag.column)
            let path = tag.path
            let guarded = tests.contains { test in
                test.count <= path.count && Array(path.prefix(test.count)) == test
            }
            return TemplateVariable(
                path: path, written: tag.written, kind: kind, file: place.path, line: line, column: column,
                guarded: guarded, scopes: scopes)
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
                    body, place: place, scopes: inverted ? scopes : scopes + [tag.path],
                    tests: tests + [tag.path],
                    into: &out)
            case .block(let name, _, let body):
                if let override = overrides[name] {
                    collect(override.nodes, place: override.place, scopes: scopes, tests: tests, into: &out)
                } else {
                    collect(body, place: place, scopes: scopes, tests: tests, into: &out)
                }
            case .partial(let name, _, let added):
                // A recursive partial is listed once.
                guard !expanding.contains(name.name), let partial = library.resolve(name.name, locale: locale)
                else { continue }
                let saved = overrides
                for (block, body) in added ?? [:] where overrides[block] == nil {
                    overrides[block] = (body, place)
                }
                expanding.append(name.name)
                collect(
                    partial.nodes, place: Place(path: partial.path, piece: nil), scopes: scopes, tests: tests,
                    into: &out)
                expanding.removeLast()
                overrides = saved
            }
        }
    }
}
