import SeatClient

/// A report reply as a table for people or as CSV for spreadsheets.
enum ReportOutput {
    /// Headers as the other admin tables spell them (`PEAK IN USE`).
    static func table(_ reply: AdminReportReply) -> TextTable {
        var table = TextTable(headers: reply.columns.map { $0.replacingOccurrences(of: "_", with: " ").uppercased() })
        for row in reply.rows { table.append(cells(row, reply.columns)) }
        return table
    }

    /// RFC 4180: a header row of the column names, CRLF line ends, and a field quoted
    /// (its quotes doubled) when it holds a comma, a quote or a line break.
    static func csv(_ reply: AdminReportReply) -> String {
        ([reply.columns] + reply.rows.map { cells($0, reply.columns) })
            .map { $0.map(csvField).joined(separator: ",") + "\r\n" }
            .joined()
    }

    private static func cells(_ row: [String: JSONValue], _ columns: [String]) -> [String] {
        columns.map { row[$0].map(text) ?? "" }
    }

    /// Whole numbers as integers, others with two decimals (the server rounds them to that).
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number) where number.rounded() == number && abs(number) < 1e15: return String(Int64(number))
        case .number(let number):
            let hundredths = Int64((abs(number) * 100).rounded())
            return (number < 0 ? "-" : "") + "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
        case .bool(let flag): return flag ? "true" : "false"
        case .null, .array, .object: return ""
        }
    }

    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
