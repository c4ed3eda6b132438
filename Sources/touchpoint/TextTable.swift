/// Aligned text columns for a terminal: each column as wide as its widest cell, in terminal cells (a CJK
/// character takes two), two spaces between columns, the last column not padded.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], width(cell)) }
        }
        return all.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - width(cell) + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// Terminal cells `text` takes: East Asian wide and full-width characters two, combining marks and
    /// zero-width characters none, others one.
    static func width(_ text: String) -> Int {
        var w = 0
        for s in text.unicodeScalars {
            let v = s.value
            switch v {
            case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F, 0x20D0...0x20FF: break
            case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
                0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
                w += 2
            default: w += 1
            }
        }
        return w
    }

    /// `text` cut to at most `cells` terminal cells, with `…` when cut.
    static func truncate(_ text: String, cells: Int) -> String {
        guard width(text) > cells else { return text }
        var out = ""
        var w = 0
        for ch in text {
            let cw = width(String(ch))
            if w + cw > cells - 1 { break }
            out.append(ch)
            w += cw
        }
        return out + "…"
    }
}
