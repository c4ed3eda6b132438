import Foundation
import TouchpointCore
import Yams

/// The keys of one YAML mapping, after unknown and repeated keys were reported.
struct Fields {
    /// What the mapping is called in messages (`send`, `rule`, `the config file`).
    let context: String
    /// Where the mapping starts; missing keys are reported here.
    let location: SourceLocation
    /// The entries in file order.
    let entries: [(key: Located<String>, value: Node)]

    /// The value of `key`, if present.
    subscript(key: String) -> Node? {
        entries.first(where: { $0.key.value == key })?.value
    }

    /// Where `key` is written, if present.
    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first(where: { $0.key.value == key })?.key.location
    }

    /// `true` when `key` is present.
    func has(_ key: String) -> Bool { self[key] != nil }
}

/// Reads Yams nodes into typed values, collecting a diagnostic at the place of each problem.
struct YAMLReader {
    let source: YAMLSource
    private(set) var diagnostics: [Diagnostic] = []

    init(source: YAMLSource) { self.source = source }

    var file: String { source.file }

    /// The number of errors reported so far, to tell whether a part added any.
    var errorCount: Int { diagnostics.count(where: { $0.severity == .error }) }

    mutating func error(_ code: String, _ message: String, at location: SourceLocation) {
        diagnostics.append(.error(code, message, at: location))
    }

    mutating func warning(_ code: String, _ message: String, at location: SourceLocation) {
        diagnostics.append(.warning(code, message, at: location))
    }

    /// Where `node` starts in the file.
    func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 0) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    /// `a string`, `an integer`, `a list`, ... for "found ..." in messages.
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch node.tagName {
            case .int: return "an integer"
            case .float: return "a number"
            case .bool: return "a boolean"
            case .null: return "nothing (null)"
            default: return "a string"
            }
        }
    }

    mutating func wrongType(_ node: Node, name: String, expected: String) {
        error(
            "wrong-type", "'\(name)' must be \(expected), found \(YAMLReader.kind(of: node))",
            at: location(of: node))
    }

    // MARK: Mappings

    /// The entries of mapping `node`; unknown keys are reported (with the nearest known key, or with the
    /// mapping they belong to when `placement` names one: a misindented key), and repeated keys too.
    mutating func mapping(
        _ node: Node, name: String, context: String? = nil, keys: [String], placement: [String: String] = [:]
    ) -> Fields? {
        guard case .mapping(let mapping) = node else {
            wrongType(node, name: name, expected: "a mapping")
            return nil
        }
        let context = context ?? name
        var entries: [(key: Located<String>, value: Node)] = []
        var seen: [String: SourceLocation] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, keyNode.tagName != .null else {
                error("bad-key", "keys in \(context) must be plain names", at: location(of: keyNode))
                continue
            }
            let key = located(scalar)
            if let first = seen[key.value] {
                error(
                    "duplicate-key",
                    "duplicate key '\(key.value)' in \(context); it is first set at line \(first.line), column \(first.column)",
                    at: key.location)
                continue
            }
            seen[key.value] = key.location
            guard keys.contains(key.value) else {
                var message = "unknown key '\(key.value)' in \(context)"
                if let home = placement[key.value] {
                    message += "; '\(key.value)' belongs \(home), check its indentation"
                } else {
                    message += Suggest.didYouMean(key.value, in: keys)
                }
                error("unknown-key", message, at: key.location)
                continue
            }
            entries.append((key, value))
        }
        return Fields(context: context, location: location(of: node), entries: entries)
    }

    /// The value of required `key`, or an error at the mapping.
    mutating func require(_ fields: Fields, _ key: String) -> Node? {
        if let node = fields[key] { return node }
        error("missing-key", "missing required key '\(key)' in \(fields.context)", at: fields.location)
        return nil
    }

    // MARK: Scalars

    /// The scalar's text with the place its text starts, its style and whether it maps 1:1 onto the source.
    func located(_ scalar: Node.Scalar) -> Located<String> {
        let line = scalar.mark?.line ?? 0
        let column = scalar.mark?.column ?? 0
        let value = scalar.string
        switch scalar.style {
        case .singleQuoted, .doubleQuoted:
            let at = SourceLocation(file: file, line: line, column: column + 1)
            let style: ScalarStyle = scalar.style == .singleQuoted ? .singleQuoted : .doubleQuoted
            return Located(
                value, at: at, style: style, isVerbatim: isVerbatimLine(value, at: at),
                places: places(of: value, style: style, from: at, blockIndent: nil))
        case .literal, .folded:
            let style: ScalarStyle = scalar.style == .literal ? .literal : .folded
            var contentLine = line + 1
            while contentLine <= source.lines.count,
                source.lines[contentLine - 1].allSatisfy({ $0 == " " || $0 == "\t" })
            {
                contentLine += 1
            }
            guard contentLine <= source.lines.count, !value.isEmpty else {
                return Located(
                    value, at: SourceLocation(file: file, line: line, column: column), style: style)
            }
            let text = source.lines[contentLine - 1]
            let indent = text.unicodeScalars.prefix(while: { $0 == " " }).count
            let at = SourceLocation(file: file, line: contentLine, column: indent + 1)
            var verbatim = true
            if style == .folded {
                // Folding turns line breaks into spaces, so only a one-line block keeps its columns.
                verbatim = isVerbatimLine(value.hasSuffix("\n") ? String(value.dropLast()) : value, at: at)
            } else {
                var lines = value.split(separator: "\n", omittingEmptySubsequences: false)
                if value.hasSuffix("\n") { lines.removeLast() }
                for (k, part) in lines.enumerated() {
                    let src = source.text(line: contentLine + k, from: at.column)
                    if !src.starts(with: part.unicodeScalars) {
                        verbatim = false
                        break
                    }
                }
            }
            return Located(
                value, at: at, style: style, isVerbatim: verbatim,
                places: places(of: value, style: style, from: at, blockIndent: indent))
        default:
            let at = SourceLocation(file: file, line: line, column: column)
            return Located(
                value, at: at, style: .plain, isVerbatim: isVerbatimLine(value, at: at),
                places: places(of: value, style: .plain, from: at, blockIndent: nil))
        }
    }

    private func isVerbatimLine(_ value: String, at: SourceLocation) -> Bool {
        !value.contains("\n")
            && source.text(line: at.line, from: at.column).starts(with: value.unicodeScalars)
    }

    /// A name or text: any scalar but null or a boolean (a number written as a name is taken as its text).
    mutating func string(_ node: Node, name: String) -> Located<String>? {
        guard case .scalar(let scalar) = node, node.tagName != .null, node.tagName != .bool else {
            wrongType(node, name: name, expected: "a string")
            return nil
        }
        return located(scalar)
    }

    /// A non-empty name.
    mutating func name(_ node: Node, name: String) -> Located<String>? {
        guard let s = string(node, name: name) else { return nil }
        if s.value.trimmingCharacters(in: .whitespaces).isEmpty {
            error("empty-value", "'\(name)' must not be empty", at: s.location)
            return nil
        }
        return s
    }

    mutating func int(_ node: Node, name: String) -> Int? {
        guard case .scalar(let scalar) = node, node.tagName == .int,
            let value = YAMLReader.integer(scalar.string)
        else {
            wrongType(node, name: name, expected: "an integer")
            return nil
        }
        return value
    }

    mutating func fraction(_ node: Node, name: String) -> Double? {
        guard case .scalar(let scalar) = node, node.tagName == .int || node.tagName == .float,
            let value = Double(scalar.string), value >= 0, value <= 1
        else {
            wrongType(node, name: name, expected: "a number from 0 to 1")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, name: String) -> Bool? {
        guard case .scalar(let scalar) = node, node.tagName == .bool else {
            wrongType(node, name: name, expected: "true or false")
            return nil
        }
        return scalar.string.lowercased() == "true"
    }

    static let durationForms = "45s, 15m, 1h, 1h30m, 7d or 2w"

    /// A duration with units, `0` allowed.
    mutating func duration(_ node: Node, name: String) -> TimeSpan? {
        guard case .scalar(let scalar) = node, node.tagName != .null, node.tagName != .bool else {
            error(
                "bad-duration",
                "'\(name)' must be a duration like \(YAMLReader.durationForms), found \(YAMLReader.kind(of: node))",
                at: location(of: node))
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        if node.tagName == .int || node.tagName == .float, text != "0" {
            error(
                "bad-duration",
                "'\(name)' needs a unit: '\(text)' is a bare number; write a duration like \(YAMLReader.durationForms)",
                at: location(of: node))
            return nil
        }
        guard let span = TimeSpan(parsing: text) else {
            error(
                "bad-duration",
                "'\(name)' is not a duration: '\(scalar.string)'; write a duration like \(YAMLReader.durationForms)",
                at: location(of: node))
            return nil
        }
        return span
    }

    /// The items of list `node`.
    /// A list of names (`[first_name, vip]`); an item that is not text is an error and left out.
    mutating func names(_ node: Node, name: String) -> [String] {
        if node.tagName == .null { return [] }
        guard let items = sequence(node, name: name) else { return [] }
        return items.compactMap { string($0, name: name)?.value }
    }

    mutating func sequence(_ node: Node, name: String) -> [Node]? {
        guard case .sequence(let items) = node else {
            wrongType(node, name: name, expected: "a list")
            return nil
        }
        return Array(items)
    }

    /// Decimal, `0o` octal or `0x` hex integer text, as the YAML 1.2 core schema writes it.
    static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        if text.hasPrefix("+") { return Int(text.dropFirst()) }
        return Int(text)
    }

    // MARK: JSON

    /// Any YAML value as JSON; non-string keys are reported and skipped.
    mutating func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return JSONValue(yamlScalar: scalar, tag: node.tagName)
        case .sequence(let items):
            return .array(items.map { json($0) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let k) = key, key.tagName != .null else {
                    error("bad-key", "keys must be plain names", at: location(of: key))
                    continue
                }
                object[k.string] = json(value)
            }
            return .object(object)
        case .alias:
            return .null
        }
    }
}
