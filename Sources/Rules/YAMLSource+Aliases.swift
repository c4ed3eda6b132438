import CYaml
import TouchpointCore

extension YAMLSource {
    /// The most nodes that aliases may add to a file once expanded.
    ///
    /// Yams shares an anchored node between its aliases, but everything that walks the tree (Yams'
    /// own duplicate-key check hashes whole keys; `json(_:)` converts whole values) visits each alias
    /// in full, so nine lines of nested aliases ("billion laughs") would mean 10⁹ nodes: a hang. Real
    /// rule files reuse a few small anchors and stay far below this.
    static let maximumAliasExpansion = 100_000

    /// Rejects text whose aliases expand past ``maximumAliasExpansion``, before Yams composes it.
    ///
    /// Reads libyaml's event stream, which is linear in the text, keeping each anchor's expanded size.
    /// A syntax error ends the check quietly: composing reports it with a better message.
    static func checkAliasExpansion(_ text: String, file: String) throws(DiagnosticList) {
        var text = text
        let excess: (line: Int, column: Int)? = text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var anchors: [String: Int] = [:]
            // Expanded size so far of each open collection, with its anchor.
            var open: [(size: Int, anchor: String?)] = []
            var added = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                var finished: (size: Int, anchor: String?)? = nil
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    finished = (1, anchorName(event.data.scalar.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    open.append((1, anchorName(event.data.sequence_start.anchor)))
                case YAML_MAPPING_START_EVENT:
                    open.append((1, anchorName(event.data.mapping_start.anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    finished = open.popLast()
                case YAML_ALIAS_EVENT:
                    let size = anchorName(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1
                    added += size
                    if added > maximumAliasExpansion {
                        return (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1)
                    }
                    finished = (size, nil)
                default:
                    break
                }
                if let finished {
                    if let anchor = finished.anchor { anchors[anchor] = finished.size }
                    if !open.isEmpty { open[open.count - 1].size += finished.size }
                }
            }
        }
        if let excess {
            throw DiagnosticList([
                .error(
                    "yaml-alias-expansion",
                    "aliases expand to more than \(maximumAliasExpansion) values; write the values out or use fewer nested aliases",
                    at: SourceLocation(file: file, line: excess.line, column: excess.column))
            ])
        }
    }

    private static func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }
}
