import TouchpointCore

/// The loaded `templates/` folder: every template's files per channel and locale, parsed and
/// ready to render strictly.
///
/// Load with `TemplateSet.load(directory:)`, render with `render(template:channel:locale:context:)`,
/// and let `check` use `checkVariables()`, `variables(template:)`, `locales(template:channel:)`.
public struct TemplateSet: Sendable {
    /// Which kind of file: one per channel, plus the email's optional text part.
    enum FileKind: String, Sendable, Hashable, CaseIterable {
        case email
        case emailText = "email.txt"
        case sms
        case chat

        init(_ channel: Channel) {
            switch channel {
            case .email: self = .email
            case .sms: self = .sms
            case .chat: self = .chat
            }
        }

        var channel: Channel {
            switch self {
            case .email, .emailText: .email
            case .sms: .sms
            case .chat: .chat
            }
        }
    }

    /// A file's slot in its template folder.
    struct FileKey: Sendable, Hashable {
        var kind: FileKind
        /// Canonical locale tag, `nil` for the default file.
        var locale: String?
    }

    /// Button label and url templates from chat front matter.
    struct ButtonPieces: Sendable {
        var label: TemplatePiece
        var url: TemplatePiece
    }

    /// One parsed template file.
    struct TemplateFile: Sendable {
        var kind: FileKind
        var locale: String?
        var path: String
        var body: TemplatePiece
        var subject: TemplatePiece?
        var preheader: TemplatePiece?
        var buttons: [ButtonPieces] = []

        /// Every piece in render order: subject, preheader, body, buttons.
        var pieces: [TemplatePiece] {
            [subject, preheader].compactMap { $0 } + [body] + buttons.flatMap { [$0.label, $0.url] }
        }
    }

    /// Template name → its files.
    var templates: [String: [FileKey: TemplateFile]]

    /// `templates/_partials/`: what `{{> name}}` and `{{< name}}` expand to.
    var partials = PartialLibrary()
    /// Chat bodies go out as Slack `mrkdwn` (`format: slack`): every interpolated value has `&`, `<` and `>`
    /// escaped (Slack's rule), so customer data cannot mention `<!channel>` or plant a `<url|label>` link; the
    /// template's own text is left as written. Button labels and URLs are plain fields and are not escaped.
    public var slackChat = false

    /// The folder inside `templates/` that holds partials instead of a template.
    public static let partialsFolder = "_partials"

    /// An empty set (no templates).
    public init() {
        templates = [:]
    }

    /// Every partial name, sorted.
    public var partialNames: [String] {
        partials.names
    }

    /// Every template name (folder), sorted.
    public var templateNames: [String] {
        templates.keys.sorted()
    }

    /// The channels `template` has a file for (the email text part alone does not count).
    public func channels(template: String) -> Set<Channel> {
        Set((templates[template] ?? [:]).keys.filter { $0.kind != .emailText }.map(\.kind.channel))
    }

    /// The locales `template` has for `channel`, `nil` (the default file) first, then sorted.
    public func locales(template: String, channel: Channel) -> [String?] {
        let kind = FileKind(channel)
        let locales = (templates[template] ?? [:]).keys.filter { $0.kind == kind }.map(\.locale)
        return locales.sorted { a, b in
            switch (a, b) {
            case (nil, _): b != nil
            case (_, nil): false
            case (let a?, let b?): a < b
            }
        }
    }

    /// The file that rendering would use for this request after locale fallback
    /// (`zh-CN` → `zh` → default), with its locale; `nil` when there is none.
    public func file(template: String, channel: Channel, locale: String?) -> (path: String, locale: String?)?
    {
        guard let files = templates[template],
            let file = Self.resolve(files, kind: FileKind(channel), locale: locale)
        else { return nil }
        return (file.path, file.locale)
    }

    static func resolve(_ files: [FileKey: TemplateFile], kind: FileKind, locale: String?) -> TemplateFile? {
        // A request spelled exactly as a file's locale is that file: file locales are canonical,
        // and canonicalizing a canonical tag leaves it unchanged, so the chain would start there.
        if let locale, let file = files[FileKey(kind: kind, locale: locale)] { return file }
        for candidate in LocaleTag.fallbackChain(locale) {
            if let file = files[FileKey(kind: kind, locale: candidate)] { return file }
        }
        return nil
    }
}
