import Mustache

/// One Mustache source inside a template file — a body, a subject, a button label — parsed
/// three times: by `RenderParser` for rendering, by swift-mustache as the fallback renderer for
/// what `RenderParser` does not compile (transforms), and by `MustacheSyntax` for diagnostics
/// and `check`.
struct TemplatePiece: Sendable {
    /// What swift-mustache renders; used only when `compiled` is `nil`.
    var mustache: MustacheTemplate
    /// Our tree of the same source, for `check` and the fallback's strict walk.
    var nodes: [MustacheNode]
    /// The source compiled for `RenderWalk`, or `nil` when the piece needs swift-mustache.
    var compiled: [RenderNode]?
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

    /// The pragma that switches swift-mustache from HTML escaping to none.
    static let textPragma = "{{%CONTENT_TYPE:TEXT}}"

    /// Parses `source`; `html` selects `{{x}}` escaping, otherwise values are inserted verbatim.
    static func parse(
        _ source: String, html: Bool, file: String, lineOffset: Int, columnOffset: Int
    ) -> Result<TemplatePiece, TemplateSyntaxProblem> {
        let prefix = html ? "" : textPragma
        let place = { (line: Int, column: Int) in
            (line + lineOffset, line == 1 ? column + columnOffset : column)
        }
        let ours: Result<[MustacheNode], MustacheSyntaxError> = Result { () throws(MustacheSyntaxError) in
            try MustacheSyntax.parse(source)
        }
        let mustache: MustacheTemplate
        do {
            mustache = try MustacheTemplate(string: prefix + source)
        } catch let error as MustacheTemplate.ParserError {
            // Our tokenizer names the problem better; swift-mustache's position is the fallback.
            if case .failure(let ourError) = ours {
                let (line, column) = place(ourError.line, ourError.column)
                return .failure(TemplateSyntaxProblem(message: ourError.message, line: line, column: column))
            }
            let line = error.context.lineNumber
            let column =
                line == 1 ? max(1, error.context.columnNumber - prefix.count) : error.context.columnNumber
            let (fileLine, fileColumn) = place(line, column)
            return .failure(
                TemplateSyntaxProblem(message: describe(error.error), line: fileLine, column: fileColumn))
        } catch {
            return .failure(TemplateSyntaxProblem(message: "\(error)", line: lineOffset + 1, column: 0))
        }
        switch ours {
        case .success(let nodes):
            var compiled = try? RenderParser.parse(prefix + source)
            if let compiledNodes = compiled,
                RenderNode.pinsFrameInsideInverted(compiledNodes) || !RenderNode.sameTags(compiledNodes, as: nodes)
            {
                compiled = nil
            }
            return .success(
                TemplatePiece(
                    mustache: mustache, nodes: nodes, compiled: compiled,
                    capacity: compiled.map { RenderNode.textSize($0) + 256 } ?? 0, lineOffset: lineOffset,
                    columnOffset: columnOffset))
        case .failure(let ourError):
            let (line, column) = place(ourError.line, ourError.column)
            return .failure(TemplateSyntaxProblem(message: ourError.message, line: line, column: column))
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)" }
        switch error {
        case .sectionCloseNameIncorrect: return "closing tag does not match the open section"
        case .unfinishedName: return "unfinished tag"
        case .expectedSectionEnd: return "section is never closed"
        case .invalidSetDelimiter: return "malformed set-delimiter tag"
        case .transformAppliedToInheritanceSection: return "transforms cannot apply to inheritance sections"
        case .illegalTokenInsideInheritSection: return "illegal tag inside an inheritance section"
        case .textInsideInheritSection: return "text inside an inheritance section"
        case .invalidConfigVariableSyntax: return "malformed pragma tag"
        case .unrecognisedConfigVariable: return "unknown pragma"
        }
    }
}

/// A Mustache syntax error placed in its file.
struct TemplateSyntaxProblem: Error, Sendable {
    var message: String
    var line: Int
    var column: Int
}
