/// What a piece's own text says about its output before any value is filled in.
struct LiteralText {
    /// Text outside sections, partials and blocks, in order: always part of the output.
    var text = ""
    /// The text before the first tag, section or partial: how the output starts.
    var prefix = ""
    /// The piece is nothing but text, so `text` is exactly its output.
    var isExact = true

    init(_ piece: TemplatePiece) {
        var started = false
        for node in piece.nodes {
            switch node {
            case .text(let bytes):
                let s = String(decoding: bytes, as: UTF8.self)
                text += s
                if !started { prefix += s }
            case .variable, .section, .partial, .block:
                started = true
                isExact = false
            }
        }
    }
}
