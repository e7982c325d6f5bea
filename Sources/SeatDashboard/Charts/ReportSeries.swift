import SeatCore

/// The series the charts draw, read from the `report` operation's reports.
public enum ReportSeries {
    /// Per period, the peak in use of `license`, from a `usage` report.
    public static func peaks(_ report: UsageReport, license: String) -> [SeatPeak] {
        rows(report, license: license).compactMap { row in
            guard case .time(let start) = row["period_start"], case .integer(let peak) = row["peak_in_use"] else { return nil }
            return SeatPeak(start: start, peak: Int(peak))
        }
    }

    /// Per hour, the refused acquires of `license` (all reasons), from a `denials` report by hour.
    public static func hourlyDenials(_ report: UsageReport, license: String) -> [HourlyDenials] {
        rows(report, license: license).compactMap { row in
            guard case .time(let start) = row["period_start"], case .integer(let count) = row["count"] else { return nil }
            return HourlyDenials(hourStart: start, count: count)
        }
    }

    private static func rows(_ report: UsageReport, license: String) -> [[String: UsageReport.Cell]] {
        report.rows.map { Dictionary(zip(report.columns, $0), uniquingKeysWith: { first, _ in first }) }
            .filter { $0["license"] == .text(license) }
    }
}

/// The license page's chart ranges: the last 24 hours by hour, 30 days by day, 12 months by month.
public enum ChartRange: String, Sendable, CaseIterable {
    case day = "24h"
    case month = "30d"
    case year = "12m"

    public var period: UsagePeriod {
        switch self {
        case .day: .hour
        case .month: .day
        case .year: .month
        }
    }

    public var title: String {
        switch self {
        case .day: "last 24 hours, by hour"
        case .month: "last 30 days, by day"
        case .year: "last 12 months, by month"
        }
    }

    /// The first period shown, for a chart ending in the period holding `now`.
    public func start(endingAt now: Timestamp) -> Timestamp {
        switch self {
        case .day: return period.start(of: now).adding(milliseconds: -23 * UsageHour.milliseconds)
        case .month: return period.start(of: now).adding(milliseconds: -29 * 86_400_000)
        case .year:
            var start = period.start(of: now)
            // Eleven months back: the start of the period before, eleven times.
            for _ in 0..<11 { start = period.start(of: start.adding(milliseconds: -1)) }
            return start
        }
    }

    /// How a period's start is written on the chart.
    public func label(_ time: Timestamp) -> String {
        let iso = time.iso8601
        switch self {
        case .day: return String(iso.dropFirst(5).prefix(11)).replacing("T", with: " ") + " UTC"
        case .month: return String(iso.prefix(10))
        case .year: return String(iso.prefix(7))
        }
    }
}
