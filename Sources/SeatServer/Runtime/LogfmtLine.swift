import Logging
import SeatCore

/// One `logfmt` line as bytes: `time=2026-12-02T07:23:59.824Z level=info msg="listening" key=value…\n`,
/// metadata keys sorted. Built byte by byte because seat events are logged at the rate
/// seats change hands: Foundation's date formatting and per-Character quoting cost more
/// than the request they describe. Pure: the time is an input.
enum LogfmtLine {
    static func render(millisecondsSinceEpoch: Int64, level: Logger.Level, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160 + message.utf8.count)
        line.append(contentsOf: "time=".utf8)
        appendTimestamp(millisecondsSinceEpoch, to: &line)
        line.append(contentsOf: " level=".utf8)
        line.append(contentsOf: level.rawValue.utf8)
        line.append(contentsOf: " msg=".utf8)
        appendValue(message, to: &line)
        for key in metadata.keys.sorted() {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            appendValue(metadata[key]!.description, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// The value as is, or quoted (with `"`, `\`, CR and LF escaped) when it is empty or
    /// holds a space, `=`, a quote, a backslash, a control character or a Unicode line break,
    /// so a value can never end the line or forge a field.
    static func appendValue(_ value: String, to line: inout [UInt8]) {
        let utf8 = value.utf8
        guard utf8.isEmpty || utf8.contains(where: needsQuoting) || containsUnicodeLineBreak(utf8) else {
            line.append(contentsOf: utf8)
            return
        }
        line.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F
    }

    /// NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029).
    private static func containsUnicodeLineBreak(_ utf8: String.UTF8View) -> Bool {
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        for byte in utf8 {
            if previous == 0xC2 && byte == 0x85 { return true }
            if beforePrevious == 0xE2 && previous == 0x80 && (byte == 0xA8 || byte == 0xA9) { return true }
            beforePrevious = previous
            previous = byte
        }
        return false
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), as `Timestamp.iso8601` writes it, without building strings.
    static func appendTimestamp(_ milliseconds: Int64, to line: inout [UInt8]) {
        // Floor division, so times before 1970 land on the right day.
        var (days, millisecondOfDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        if millisecondOfDay < 0 { millisecondOfDay += 86_400_000; days -= 1 }
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        let secondOfDay = millisecondOfDay / 1000
        appendDigits(year, count: 4, to: &line)
        line.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &line)
        line.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &line)
        line.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3_600, count: 2, to: &line)
        line.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &line)
        line.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &line)
        line.append(UInt8(ascii: "."))
        appendDigits(millisecondOfDay % 1000, count: 3, to: &line)
        line.append(UInt8(ascii: "Z"))
    }

    private static func appendDigits(_ value: Int64, count: Int, to line: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            line.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
