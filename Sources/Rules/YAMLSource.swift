import TouchpointCore
import Yams

/// One YAML file parsed into Yams nodes, with its text kept to place values exactly.
///
/// Yams' Codable decoder drops positions, so rule, test and config files are read from
/// `Yams.compose` nodes, whose marks give every value's line and column.
struct YAMLSource {
    /// The file name used in diagnostics.
    let file: String
    /// The source lines, without their line breaks.
    let lines: [Substring]
    /// The root node; `nil` for an empty document or a syntax error.
    let root: Node?

    /// YAML 1.2 core schema: `yes`, `no`, `on`, `off` stay strings and `1:30` is not a base-60 number,
    /// so a trait or a time written plainly is read the way a JSON user expects.
    static let resolver: Resolver = {
        // The patterns are constant and known to compile.
        let rules: [Resolver.Rule] = [
            try! Resolver.Rule(.bool, "^(?:true|True|TRUE|false|False|FALSE)$"),
            try! Resolver.Rule(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
            try! Resolver.Rule(
                .float,
                "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
            ),
            try! Resolver.Rule(.null, "^(?:~|null|Null|NULL|)$"),
        ]
        return rules.reduce(Resolver.basic) { $0.appending($1) }
    }()

    /// Parses `text`; a syntax error becomes a diagnostic at the place Yams reports.
    init(text: String, file: String) throws(DiagnosticList) {
        self.file = file
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        try YAMLSource.checkAliasExpansion(text, file: file)
        do {
            self.root = try Yams.compose(yaml: text, YAMLSource.resolver)
        } catch let error as YamlError {
            throw DiagnosticList([YAMLSource.diagnostic(for: error, file: file, lines: lines)])
        } catch {
            throw DiagnosticList([.error("yaml-syntax", "\(error)", at: SourceLocation(file: file, line: 1))])
        }
    }

    /// Reads and parses the file at `path`.
    init(path: String, file: String? = nil) throws(DiagnosticList) {
        let name = file ?? path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DiagnosticList([
                .error("unreadable-file", "cannot read file", at: SourceLocation(file: name, line: 0))
            ])
        }
        try self.init(text: text, file: name)
    }

    /// The source text of line `line` (1-based) from column `column` (1-based) on, as unicode scalars.
    func text(line: Int, from column: Int) -> Substring.UnicodeScalarView {
        guard line >= 1, line <= lines.count else { return Substring("").unicodeScalars }
        return lines[line - 1].unicodeScalars.dropFirst(max(0, column - 1))
    }

    static func diagnostic(for error: YamlError, file: String, lines: [Substring]) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: mark.line, column: mark.column)
        }
        func describe(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> Diagnostic {
            let line = mark.line >= 1 && mark.line <= lines.count ? lines[mark.line - 1] : ""
            if line.unicodeScalars.dropFirst(max(0, mark.column - 1)).first == "\t"
                || line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
            {
                let column =
                    (line.unicodeScalars.firstIndex(of: "\t")).map {
                        line.unicodeScalars.distance(from: line.unicodeScalars.startIndex, to: $0) + 1
                    } ?? mark.column
                return .error(
                    "yaml-tab", "tab character in indentation; YAML indents with spaces only",
                    at: SourceLocation(file: file, line: mark.line, column: column))
            }
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            if problem.contains("did not find expected '-' indicator")
                || problem.contains("did not find expected key")
            {
                message += "; check the indentation of this line"
            } else if problem.contains("mapping values are not allowed") {
                message += "; check the indentation, or quote a value that contains ': '"
            }
            return .error("yaml-syntax", message, at: at(mark))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return describe(problem, context, mark)
        case .reader(let problem, let offset, _, let yaml):
            var line = 1
            var column = 1
            if let offset {
                for ch in yaml.prefix(offset) {
                    if ch == "\n" {
                        line += 1
                        column = 1
                    } else {
                        column += 1
                    }
                }
            }
            return .error(
                "yaml-syntax", "invalid YAML: \(problem)",
                at: SourceLocation(file: file, line: line, column: column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let second = findRepeat(of: key, after: (first.line, first.column), in: lines)
            return .error(
                "duplicate-key",
                "duplicate key '\(key)'; it is first set at line \(first.line), column \(first.column)",
                at: second.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? at(first))
        default:
            return .error("yaml-syntax", "invalid YAML: \(error)", at: SourceLocation(file: file, line: 1))
        }
    }

    /// Yams reports a duplicate key at its first occurrence; the error belongs on the repeat, which is
    /// the next place the same key text stands before a colon.
    static func findRepeat(
        of key: String, after mark: (line: Int, column: Int), in lines: [Substring]
    ) -> (line: Int, column: Int)? {
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty else { return nil }
        var lineNumber = mark.line
        var startColumn = mark.column + keyScalars.count
        while lineNumber <= lines.count {
            let scalars = Array(lines[lineNumber - 1].unicodeScalars)
            var i = max(0, startColumn - 1)
            while i + keyScalars.count <= scalars.count {
                let before: Unicode.Scalar? = i == 0 ? nil : scalars[i - 1]
                let boundary = before == nil || [" ", "{", ",", "\"", "'", "-"].contains(before!)
                if boundary, Array(scalars[i..<(i + keyScalars.count)]) == keyScalars {
                    var j = i + keyScalars.count
                    if j < scalars.count, scalars[j] == "\"" || scalars[j] == "'" { j += 1 }
                    while j < scalars.count, scalars[j] == " " { j += 1 }
                    if j < scalars.count, scalars[j] == ":" {
                        let quoted = before == "\"" || before == "'"
                        return (lineNumber, quoted ? i : i + 1)
                    }
                }
                i += 1
            }
            lineNumber += 1
            startColumn = 1
        }
        return nil
    }
}

/// Diagnostics thrown together by a loader step that cannot go on.
struct DiagnosticList: Error {
    var diagnostics: [Diagnostic]
    init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}

extension Node {
    /// The node's resolved tag (`str`, `int`, `bool`, ...) under the YAML 1.2 core schema.
    var tagName: Tag.Name { YAMLSource.resolver.resolveTag(of: self) }
}
