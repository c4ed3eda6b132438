import TouchpointCore

/// A tag's name compiled for lookup in a JSON context stack, split at dots once at load.
struct RenderName: Sendable, Hashable {
    /// The name as written, for failure messages (`customer.first_name`).
    let written: String
    /// Whether lookup starts at the innermost frame only (`.`, `.name`) instead of climbing the stack.
    let currentFrameOnly: Bool
    /// Dot-separated segments, empty ones dropped; empty means the innermost frame itself.
    let segments: [String]

    /// Compiles `name` with swift-mustache 2.1.1's rules: `.` is the current frame, a leading dot
    /// pins the lookup to the current frame, otherwise the first segment climbs the stack.
    init(_ name: String) {
        written = name
        currentFrameOnly = name.first == "."
        segments = name == "." ? [] : name.split(separator: ".").map(String.init)
    }
}

/// One node of a template compiled for `RenderWalk`: the same tokens swift-mustache's parser
/// produces for the tags Touchpoint supports, with standalone-line whitespace already applied.
indirect enum RenderNode: Sendable, Hashable {
    /// Literal output, as UTF-8.
    case text([UInt8])
    /// `{{x}}` (`raw: false`, escaped while the content type is HTML), `{{{x}}}` or `{{&x}}`.
    case variable(RenderName, raw: Bool)
    /// `{{#x}}…{{/x}}` or `{{^x}}…{{/x}}`.
    case section(RenderName, inverted: Bool, body: [RenderNode])
    /// `{{%CONTENT_TYPE:HTML}}` / `{{%CONTENT_TYPE:TEXT}}`: escaping for the rest of the enclosing body.
    case contentType(html: Bool)
}

extension RenderNode {
    /// Literal bytes in `nodes`, counting each section body once.
    static func textSize(_ nodes: [RenderNode]) -> Int {
        nodes.reduce(0) { total, node in
            switch node {
            case .text(let bytes): total + bytes.count
            case .section(_, _, let body): total + textSize(body)
            case .variable, .contentType: total
            }
        }
    }

    /// Whether a name pinned to the current frame (`{{.}}`, `{{.x}}`) occurs anywhere inside an
    /// inverted section. swift-mustache pushes an empty list as the frame of an inverted section
    /// it renders for `[]`, and the strict walk does not; such pieces keep the swift-mustache path
    /// so that both the text and the strict verdict stay exactly as before.
    static func pinsFrameInsideInverted(_ nodes: [RenderNode], insideInverted: Bool = false) -> Bool {
        for node in nodes {
            switch node {
            case .text, .contentType:
                continue
            case .variable(let name, _):
                if insideInverted, name.currentFrameOnly || name.segments.isEmpty { return true }
            case .section(let name, let inverted, let body):
                if insideInverted, name.currentFrameOnly || name.segments.isEmpty { return true }
                if pinsFrameInsideInverted(body, insideInverted: insideInverted || inverted) { return true }
            }
        }
        return false
    }

    /// Whether `nodes` hold the same tags, nested the same way, as our tokenizer's tree of the
    /// same source. The strict verdict used to come from that tree while swift-mustache rendered;
    /// where the two parsers disagree (a delimiter change inside a section is scoped to it in
    /// swift-mustache only), the piece keeps the old path so that nothing changes for it.
    static func sameTags(_ nodes: [RenderNode], as syntax: [MustacheNode]) -> Bool {
        var ours = nodes.lazy.filter(\.isTag).makeIterator()
        var theirs = syntax.lazy.filter(\.isTag).makeIterator()
        while true {
            switch (ours.next(), theirs.next()) {
            case (nil, nil):
                return true
            case (.variable(let name, _)?, .variable(let tag, _)?):
                guard tag.transforms.isEmpty, name.written == tag.name else { return false }
            case (.section(let name, let inverted, let body)?, .section(let tag, let theirInverted, let theirBody)?):
                guard tag.transforms.isEmpty, name.written == tag.name, inverted == theirInverted,
                    sameTags(body, as: theirBody)
                else { return false }
            default:
                return false
            }
        }
    }

    private var isTag: Bool {
        switch self {
        case .variable, .section: true
        case .text, .contentType: false
        }
    }
}

extension MustacheNode {
    fileprivate var isTag: Bool {
        if case .text = self { return false }
        return true
    }
}
