import TouchpointCore

/// A chat action button: a label and the link it opens.
public struct Button: Sendable, Hashable, Codable {
    /// The text on the button.
    public var label: String
    /// The link the button opens.
    public var url: String

    /// Creates a button.
    public init(label: String, url: String) {
        self.label = label
        self.url = url
    }
}

/// A message rendered for one channel, ready for an adapter.
public struct RenderedContent: Sendable, Hashable {
    /// The template's name (its folder).
    public var template: String
    /// The channel rendered for.
    public var channel: Channel
    /// The locale of the file actually used (after fallback), or `nil` for the default file.
    public var locale: String?
    /// Email subject; `nil` for other channels.
    public var subject: String?
    /// Email preheader (inbox preview text); `nil` when absent or not email.
    public var preheader: String?
    /// The plain text: the SMS or chat message, or the email's text part.
    public var text: String
    /// The email's HTML body; `nil` for other channels.
    public var html: String?
    /// Chat buttons, empty for other channels.
    public var buttons: [Button]
    /// SMS encoding and segments; `nil` for other channels.
    public var sms: SMSInfo?

    /// Creates rendered content.
    public init(
        template: String, channel: Channel, locale: String?, subject: String? = nil, preheader: String? = nil,
        text: String, html: String? = nil, buttons: [Button] = [], sms: SMSInfo? = nil
    ) {
        self.template = template
        self.channel = channel
        self.locale = locale
        self.subject = subject
        self.preheader = preheader
        self.text = text
        self.html = html
        self.buttons = buttons
        self.sms = sms
    }

    /// The dry-run `content` object (SPEC §6): `subject`, `text`, `html`, `buttons`, `segments`,
    /// every field present, `null` where not applicable.
    public var json: JSONValue {
        [
            "subject": subject.map(JSONValue.string) ?? .null,
            "text": .string(text),
            "html": html.map(JSONValue.string) ?? .null,
            "buttons": .array(buttons.map { ["label": .string($0.label), "url": .string($0.url)] }),
            "segments": sms.map { .number(Double($0.segments)) } ?? .null,
        ]
    }
}

/// Why a message could not be rendered; the engine suppresses it with `reason`.
public enum RenderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A variable outside any section that tests it is missing or `null` in the context.
    case missingVariable(name: String, template: String, file: String)
    /// Anything else: unknown template, no file for the channel, a list printed as a value.
    case renderError(String)

    /// The suppression reason of SPEC §6: `missing-variable` or `render-error`.
    public var reason: String {
        switch self {
        case .missingVariable: "missing-variable"
        case .renderError: "render-error"
        }
    }

    /// A one-line explanation for logs and dry-run output.
    public var description: String {
        switch self {
        case .missingVariable(let name, let template, let file):
            "missing variable '\(name)' in template '\(template)' (\(file))"
        case .renderError(let message):
            message
        }
    }
}
