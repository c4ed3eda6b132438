/// A tag's name compiled for lookup: split at dots and unwrapped from its transforms once, at load.
struct MustacheName: Sendable, Hashable {
    /// The name looked up in the context (`customer.first_name`, `.`, `.name`).
    let name: String
    /// Transforms written around the name, outermost first (`uppercased(x)` → `["uppercased"]`).
    let transforms: [String]
    /// Whether lookup starts at the innermost frame only (`.`, `.name`) instead of climbing the stack.
    let currentFrameOnly: Bool
    /// Dot-separated segments, empty ones dropped; empty means the innermost frame itself.
    let segments: [String]
    /// 1-based line of the opening delimiter in the Mustache source.
    let line: Int
    /// 1-based column (in Unicode scalars) of the opening delimiter.
    let column: Int

    init(_ name: String, transforms: [String] = [], line: Int = 1, column: Int = 1) {
        self.name = name
        self.transforms = transforms
        self.line = line
        self.column = column
        currentFrameOnly = name.first == "."
        segments = name == "." ? [] : name.split(separator: ".").map(String.init)
    }

    /// The dotted path for `check`: `["."]` for the current frame.
    var path: [String] {
        name == "." ? ["."] : segments
    }

    /// The tag as the author wrote it, for messages.
    var written: String {
        transforms.reduce(name) { inner, transform in "\(transform)(\(inner))" }
    }
}

/// Where a partial or parent tag names another template, for `check` and for render errors.
struct MustachePartialName: Sendable, Hashable {
    var name: String
    var line: Int
    var column: Int
}

/// One node of a parsed Mustache template: the one tree that rendering, the strict check and
/// `check`'s variable listing all walk. Standalone-line whitespace is already applied.
indirect enum MustacheNode: Sendable, Hashable {
    /// Literal output, as UTF-8.
    case text([UInt8])
    /// `{{x}}` (`raw: false`, HTML-escaped in an HTML piece), `{{{x}}}` or `{{&x}}`.
    case variable(MustacheName, raw: Bool)
    /// `{{#x}}…{{/x}}` or `{{^x}}…{{/x}}`.
    case section(MustacheName, inverted: Bool, body: [MustacheNode])
    /// `{{> name}}` (`overrides` nil) or `{{< name}}{{$block}}…{{/block}}{{/name}}`; `indent` is the
    /// whitespace before a standalone tag, prepended to every later line of what it expands to.
    case partial(MustachePartialName, indent: [UInt8], overrides: [String: [MustacheNode]]?)
    /// `{{$name}}default{{/name}}`: replaced by a parent's override of `name`, else its body.
    case block(String, indent: BlockIndent, body: [MustacheNode])
}

/// How an override replacing a block is indented: by `intrinsic` (the indentation of the default
/// content's first line, when the tag stands alone) when there is one, else by `tag` (the whitespace
/// before the tag, already written as text before the first line) on every later line.
struct BlockIndent: Sendable, Hashable {
    var tag: [UInt8] = []
    var intrinsic: [UInt8] = []
}

/// A syntax problem with its 1-based place in the Mustache source (column in Unicode scalars).
struct MustacheSyntaxError: Error, Sendable, Hashable {
    var message: String
    var line: Int
    var column: Int
}

extension MustacheNode {
    /// Literal bytes in `nodes`, counting each body once: a first guess at the output size.
    static func textSize(_ nodes: [MustacheNode]) -> Int {
        nodes.reduce(0) { total, node in
            switch node {
            case .text(let bytes): total + bytes.count
            case .section(_, _, let body), .block(_, _, let body): total + textSize(body)
            case .variable, .partial: total
            }
        }
    }
}
