import SeatClient
import SeatCore

/// A report reply as a table for people or as CSV for spreadsheets.
enum ReportOutput {
    /// Headers as the other admin tables spell them (`PEAK IN USE`).
    static func table(_ reply: AdminReportReply) -> TextTable {
        var table = TextTable(headers: reply.columns.map { $0.replacingOccurrences(of: "_", with: " ").uppercased() })
        for row in reply.rows { table.append(cells(row, reply.columns)) }
        return table
    }

    /// RFC 4180 (`ReportText.csv`), as the dashboard's CSV download is.
    static func csv(_ reply: AdminReportReply) -> String {
        ReportText.csv(columns: reply.columns, rows: reply.rows.map { cells($0, reply.columns) })
    }

    private static func cells(_ row: [String: JSONValue], _ columns: [String]) -> [String] {
        columns.map { row[$0].map(text) ?? "" }
    }

    /// Whole numbers as integers, others with two decimals (the server rounds them to that).
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number) where number.rounded() == number && abs(number) < 1e15: return String(Int64(number))
        case .number(let number): return ReportText.number(hundredths: Int64((number * 100).rounded()))
        case .bool(let flag): return flag ? "true" : "false"
        case .null, .array, .object: return ""
        }
    }
}
