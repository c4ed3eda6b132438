import TouchpointCore

/// One Mustache source inside a template file — a body, a subject, a button label — parsed once
/// into the tree that rendering, the strict check and `check` all walk.
struct TemplatePiece: Sendable {
    var nodes: [MustacheNode]
    /// Whether `{{x}}` is HTML-escaped: the email body; subjects, text parts, SMS and chat are text.
    var html: Bool
    /// Bytes to reserve for a render: the literal text plus room for the values.
    var capacity = 0
    /// Lines in the file before the piece's first line.
    var lineOffset: Int
    /// Columns before the piece's first character, on its first line only.
    var columnOffset: Int

    /// The file position of a 1-based line and column inside the piece.
    func position(line: Int, column: Int) -> (line: Int, column: Int) {
        (line + lineOffset, line == 1 ? column + columnOffset : column)
    }

    /// Parses `source`; `html` selects `{{x}}` escaping, otherwise values are inserted verbatim.
    static func parse(
        _ source: String, html: Bool, file: String, lineOffset: Int, columnOffset: Int
    ) -> Result<TemplatePiece, TemplateSyntaxProblem> {
        do throws(MustacheSyntaxError) {
            let nodes = try MustacheParser.parse(source)
            return .success(
                TemplatePiece(
                    nodes: nodes, html: html, capacity: MustacheNode.textSize(nodes) + 256,
                    lineOffset: lineOffset,
                    columnOffset: columnOffset))
        } catch {
            let line = error.line + lineOffset
            let column = error.line == 1 ? error.column + columnOffset : error.column
            return .failure(TemplateSyntaxProblem(message: error.message, line: line, column: column))
        }
    }

    /// Renders the piece for `context`, strictly, as UTF-8; partials come from `library` in `locale`.
    func renderUTF8(context: JSONValue, library: PartialLibrary = PartialLibrary(), locale: String? = nil)
        -> Result<[UInt8], StrictProblem>
    {
        MustacheWalk.render(
            nodes, context: context, html: html, capacity: capacity, library: library, locale: locale)
    }

    /// `renderUTF8` as a String.
    func render(context: JSONValue, library: PartialLibrary = PartialLibrary(), locale: String? = nil)
        -> Result<String, StrictProblem>
    {
        renderUTF8(context: context, library: library, locale: locale).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// What `render` would fail with, without rendering; `nil` when it would succeed.
    func check(context: JSONValue, library: PartialLibrary = PartialLibrary(), locale: String? = nil)
        -> StrictProblem?
    {
        MustacheWalk.check(nodes, context: context, library: library, locale: locale)
    }
}

/// A Mustache syntax error placed in its file.
struct TemplateSyntaxProblem: Error, Sendable {
    var message: String
    var line: Int
    var column: Int
}
