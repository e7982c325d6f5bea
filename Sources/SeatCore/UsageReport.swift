/// The reports `seatctl report` prints, as columns and rows (docs/operations.md, "Reports").
public enum UsageReportKind: String, Sendable, CaseIterable {
    /// Per license and period: seats, peak and average in use, users, user-hours, denials.
    case usage
    /// Per license, period and reason: refused acquires.
    case denials
    /// Per license, period and user: hours of session time.
    case users
    /// Per license over the whole range: peak in use against seats.
    case trueup
}

/// A report: named columns and rows of typed cells, one per column.
public struct UsageReport: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        /// A number shown with two decimals, held exactly as hundredths.
        case hundredths(Int64)
        case time(Timestamp)
        /// No value (a deleted license's seats).
        case none
    }

    public var columns: [String]
    public var rows: [[Cell]]

    /// `seats`: each license's seat count now; absent for a license deleted since.
    public init(_ kind: UsageReportKind, _ summaries: [UsageSummary], seats: [String: Int]) {
        func seatCell(_ license: String) -> Cell { seats[license].map { .integer(Int64($0)) } ?? .none }
        let lead = { (summary: UsageSummary) -> [Cell] in
            [.time(summary.periodStart), .text(summary.licenseKey), .text(summary.tenant)]
        }
        switch kind {
        case .usage:
            columns = ["period_start", "license", "tenant", "seats", "peak_in_use", "average_in_use", "distinct_users", "user_hours", "denials"]
            rows = summaries.map { summary in
                lead(summary) + [
                    seatCell(summary.licenseKey), .integer(Int64(summary.peakInUse)), .hundredths(Self.hundredths(summary.averageInUse)),
                    .integer(Int64(summary.distinctUsers)), .hundredths(Self.hundredthsOfHours(summary.seatMilliseconds)),
                    .integer(Int64(clamping: summary.denials.values.reduce(0, +))),
                ]
            }
        case .denials:
            columns = ["period_start", "license", "tenant", "reason", "count"]
            rows = summaries.flatMap { summary in
                summary.denials.sorted { $0.key < $1.key }.map { lead(summary) + [.text($0.key), .integer(Int64(clamping: $0.value))] }
            }
        case .users:
            columns = ["period_start", "license", "tenant", "user", "hours"]
            rows = summaries.flatMap { summary in
                summary.userMilliseconds.sorted { $0.key < $1.key }.map { lead(summary) + [.text($0.key), .hundredths(Self.hundredthsOfHours($0.value))] }
            }
        case .trueup:
            columns = ["license", "tenant", "seats", "peak_in_use", "headroom", "peak_percent", "average_in_use", "no_seat_denials", "from", "to"]
            rows = UsageSummarizer.fold(summaries).map { summary in
                let seats = seats[summary.licenseKey]
                return [
                    .text(summary.licenseKey), .text(summary.tenant), seatCell(summary.licenseKey), .integer(Int64(summary.peakInUse)),
                    seats.map { .integer(Int64($0 - summary.peakInUse)) } ?? .none,
                    seats.map { $0 > 0 ? .hundredths(Self.hundredths(Double(summary.peakInUse) * 100 / Double($0))) : .none } ?? .none,
                    .hundredths(Self.hundredths(summary.averageInUse)),
                    .integer(Int64(clamping: summary.denials["noSeats", default: 0])),
                    .time(summary.periodStart), .time(summary.periodEnd),
                ]
            }
        }
    }

    private static func hundredths(_ value: Double) -> Int64 { Int64((value * 100).rounded()) }

    private static func hundredthsOfHours(_ milliseconds: Int64) -> Int64 {
        (milliseconds * 100 + UsageHour.milliseconds / 2) / UsageHour.milliseconds
    }
}
