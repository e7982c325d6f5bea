/// How report values are written as text, the same in `seatctl report` (table and CSV)
/// and the dashboard's pages and CSV downloads.
public enum ReportText {
    /// A number held as hundredths: whole numbers as integers, others with two decimals.
    public static func number(hundredths: Int64) -> String {
        guard hundredths % 100 != 0 else { return String(hundredths / 100) }
        let magnitude = hundredths.magnitude
        let fraction = magnitude % 100
        return (hundredths < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// RFC 4180: a header row of the column names, CRLF line ends, and a field quoted
    /// (its quotes doubled) when it holds a comma, a quote or a line break.
    public static func csv(columns: [String], rows: [[String]]) -> String {
        ([columns] + rows).map { $0.map(csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + String(field.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}

extension UsageReport.Cell {
    /// The cell as `seatctl report` writes it; empty for no value.
    public var text: String {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .hundredths(let value): ReportText.number(hundredths: value)
        case .time(let time): time.iso8601
        case .none: ""
        }
    }
}

extension UsageReport {
    /// The report as CSV, exactly as `seatctl report --format csv` writes it.
    public var csv: String {
        ReportText.csv(columns: columns, rows: rows.map { $0.map(\.text) })
    }
}
