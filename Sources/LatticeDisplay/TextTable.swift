/// An aligned, plain-text table: what `lattice get …` prints on a terminal.
///
/// Pure layout, no I/O, so that what an operator reads is unit-tested: each column is padded to its widest
/// cell (header included) and columns are two spaces apart. The last column is not padded, so no line ends
/// in spaces. Cells are cleaned with `TerminalText.clean` first: a label or a link value comes from the
/// lattice, and a newline or an escape sequence in it must neither break the columns nor reach the terminal.
public struct TextTable: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[String]]

    public init(headers: [String], rows: [[String]] = []) {
        self.headers = headers
        self.rows = rows
    }

    /// The table's lines, header first, without trailing newline. A row shorter than the header gets empty
    /// cells; a longer one widens the table rather than losing a cell.
    public var lines: [String] {
        let all = ([headers] + rows).map { $0.map(TerminalText.clean) }
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            var line = ""
            for index in 0..<columns {
                let cell = index < row.count ? row[index] : ""
                if index == columns - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The lines joined, each ending in a newline.
    public var rendered: String { lines.map { $0 + "\n" }.joined() }
}
