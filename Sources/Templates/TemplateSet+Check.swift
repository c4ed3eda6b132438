import TouchpointCore

extension TemplateSet {
    /// Everything ``render(template:channel:locale:context:)`` decides, without producing the text: the
    /// template locale that would be used, or the failure `render` would return.
    ///
    /// The engine decides with this and leaves the rendering itself to another thread: a successful
    /// check guarantees that `render` with the same arguments succeeds.
    public func check(
        template: String, channel: Channel, locale: String?, context: JSONValue
    ) -> Result<String?, RenderFailure> {
        let file: TemplateFile
        let textPart: TemplateFile?
        switch files(for: template, channel: channel, locale: locale) {
        case .success(let found): (file, textPart) = found
        case .failure(let failure): return .failure(failure)
        }
        for (piece, path) in file.pieces.map({ ($0, file.path) })
            + (textPart.map { [($0.body, $0.path)] } ?? [])
        {
            if let problem = piece.check(context: context, library: partials, locale: file.locale) {
                return .failure(problem.failure(template: template, file: path))
            }
        }
        return .success(file.locale)
    }

    /// The file `template` renders from for `channel` in `locale` (with the fallbacks), and for email its
    /// text part when it has one; or the render error naming what is missing.
    func files(
        for template: String, channel: Channel, locale: String?
    ) -> Result<(file: TemplateFile, textPart: TemplateFile?), RenderFailure> {
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
        return .success((file, kind == .email ? files[FileKey(kind: .emailText, locale: file.locale)] : nil))
    }
}

extension StrictProblem {
    /// The render failure this problem is reported as, for `template`'s file at `path`.
    func failure(template: String, file piecePath: String) -> RenderFailure {
        let path = file ?? piecePath
        switch kind {
        case .missing:
            return .missingVariable(name: name, template: template, file: path)
        case .notAValue(let typeName):
            return .renderError("variable '\(name)' in \(path) is a \(typeName), which has no text form")
        case .unknownPartial:
            return .renderError("unknown partial '\(name)' in \(path)")
        case .tooDeep:
            return .renderError(
                "partials nested deeper than \(MustacheWalk.maxDepth) at '\(name)' in \(path); does a partial include itself?"
            )
        }
    }
}
