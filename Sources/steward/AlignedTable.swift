/// A table whose columns are as wide as their widest cell, for listings whose
/// values (user names, ARNs, messages) vary too much for fixed widths.
/// Shared by the user, mapping and audit commands.
enum AlignedTable {
    /// Renders `header` and `rows` with two spaces between columns. No line
    /// ends in spaces, even when its last cells are empty. Every cell is
    /// escaped (``TerminalText``): a line break, ESC or bidi override in a
    /// name or message would tear the table apart or forge a row.
    static func render(header: [String], rows: [[String]]) -> String {
        let lines = [header] + rows.map { $0.map(TerminalText.escaped) }
        var widths = Array(repeating: 0, count: header.count)
        for line in lines {
            for (column, cell) in line.enumerated() where column < widths.count - 1 {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return lines.map { line in
            var text = line.enumerated().map { column, cell in
                column == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }.joined()
            while text.last == " " { text.removeLast() }
            return text
        }.joined(separator: "\n")
    }

    /// What an empty value shows as, so that columns never look shifted.
    static func orDash(_ text: String) -> String { text.isEmpty ? "-" : text }
}
