import TouchpointCore

extension TemplatePiece {
    /// Renders the piece for `context`, strictly: the first rendered variable without a text
    /// value fails. `converted` caches the swift-mustache form of `context` across the pieces
    /// of one message, for pieces that still need swift-mustache.
    func render(context: JSONValue, converted: inout Any?) -> Result<String, StrictProblem> {
        renderUTF8(context: context, converted: &converted).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `render` as UTF-8 bytes, so that callers can trim before making a String.
    func renderUTF8(context: JSONValue, converted: inout Any?) -> Result<[UInt8], StrictProblem> {
        guard let compiled else {
            return renderViaMustache(context: context, converted: &converted).map { Array($0.utf8) }
        }
        // Every piece starts in swift-mustache's default HTML content type; text pieces begin
        // with the pragma node that switches it off.
        return RenderWalk.render(compiled, context: context, html: true, capacity: capacity)
    }

    /// The strict walk, then swift-mustache: the path for pieces `RenderParser` does not
    /// compile, and the oracle the differential tests hold `RenderWalk` to.
    func renderViaMustache(context: JSONValue, converted: inout Any?) -> Result<String, StrictProblem> {
        if let problem = StrictWalk.check(nodes, context: context) { return .failure(problem) }
        let data = converted ?? MustacheValue.convert(context)
        converted = data
        return .success(mustache.render(data))
    }
}
