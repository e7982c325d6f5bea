import Foundation

/// Rows in aligned columns for people: a header line, then one line per row, columns
/// separated by two spaces. Empty cells show as "-" so that columns stay countable.
struct TextTable: Equatable {
    var headers: [String]
    var rows: [[String]] = []

    mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "a row needs one cell per column")
        rows.append(row)
    }

    func render() -> String {
        let lines = [headers] + rows.map { $0.map { $0.isEmpty ? "-" : $0 } }
        let widths = headers.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { column, cell in
                // The last column is not padded: no trailing spaces.
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
