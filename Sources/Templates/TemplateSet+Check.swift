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
        return .success(file.locale)
    }
}
