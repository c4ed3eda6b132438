import TouchpointCore

/// A link the config writes as a template, such as a channel's `unsubscribe-url`
/// (`https://shop.example/u/{{customer.id}}/{{message.id}}`): parsed once at load, checked by
/// `check`, and rendered strictly, with each value percent-encoded (`{{{x}}}` inserts it as is).
public struct LinkTemplate: Sendable {
    /// The text as written in the config.
    public let source: String
    let nodes: [MustacheNode]

    /// A problem with its Unicode-scalar offset into `source` (for a place in the config file).
    public struct Problem: Error, Sendable, Hashable {
        public var message: String
        public var offset: Int
    }

    /// Parses `source`; a syntax error names its offset.
    public static func parse(_ source: String) -> Result<LinkTemplate, Problem> {
        do throws(MustacheSyntaxError) {
            let nodes = try MustacheParser.parse(source)
            if nodes.contains(where: { if case .partial = $0 { true } else { false } }) {
                return .failure(Problem(message: "a link cannot include partials", offset: 0))
            }
            return .success(LinkTemplate(source: source, nodes: nodes))
        } catch {
            return .failure(
                Problem(
                    message: error.message,
                    offset: Self.offset(source, line: error.line, column: error.column)))
        }
    }

    /// Every variable that names something `roots` does not provide: `roots` maps each root to its
    /// members, or to `nil` when any member may exist (`customer` traits).
    public func problems(roots: [String: [String]?]) -> [Problem] {
        var out: [Problem] = []
        func visit(_ nodes: [MustacheNode], inSection: Bool) {
            for node in nodes {
                switch node {
                case .text, .partial:
                    continue
                case .variable(let name, _):
                    check(name, inSection: inSection)
                case .section(let name, _, let body):
                    check(name, inSection: inSection)
                    visit(body, inSection: true)
                case .block(_, _, let body):
                    visit(body, inSection: inSection)
                }
            }
        }
        func check(_ name: MustacheName, inSection: Bool) {
            let offset = Self.offset(source, line: name.line, column: name.column)
            guard let root = name.segments.first, !name.currentFrameOnly else { return }
            guard let members = roots[root] else {
                if inSection { return }
                let known = roots.keys.sorted()
                out.append(
                    Problem(
                        message:
                            "unknown variable root '\(root)'\(Suggest.didYouMean(root, in: known)); a link has \(known.joined(separator: ", "))",
                        offset: offset))
                return
            }
            guard let members, name.segments.count >= 2 else { return }
            let member = name.segments[1]
            if !members.contains(member) {
                out.append(
                    Problem(
                        message:
                            "unknown variable '\(root).\(member)'\(Suggest.didYouMean(member, in: members)); \(root) has \(members.joined(separator: ", "))",
                        offset: offset))
            }
        }
        visit(nodes, inSection: false)
        return out
    }

    /// The link for `context`; a missing or null variable fails, naming it, with `name` (for example
    /// `channels.email.unsubscribe-url`) as the template and `file` as where it is written.
    public func render(context: JSONValue, name: String, file: String) -> Result<String, RenderFailure> {
        switch MustacheWalk.render(
            nodes, context: context, html: false, capacity: source.utf8.count + 64, library: PartialLibrary(),
            locale: nil, escaping: .url)
        {
        case .success(let bytes):
            return .success(String(decoding: bytes, as: UTF8.self))
        case .failure(let problem):
            return .failure(problem.failure(template: name, file: file))
        }
    }

    private static func offset(_ source: String, line: Int, column: Int) -> Int {
        var currentLine = 1
        var offset = 0
        for scalar in source.unicodeScalars {
            if currentLine == line { break }
            offset += 1
            if scalar == "\n" { currentLine += 1 }
        }
        return offset + column - 1
    }
}
