import ArgumentParser
import Foundation
import SeatClient

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Usage reports from the rollups seatd keeps: usage, denials, users, trueup (admin).",
        discussion: """
            usage: per license and period, seats, peak and average in use, distinct users, \
            user-hours and denials. denials: per license, period and reason. users: per \
            license, period and user, hours of session time. trueup: per license over the \
            whole range, the peak in use against the seats (--by does not apply). \
            Periods are UTC hours, days or calendar months; --from is rounded down to the \
            start of its period, --to up to the end of its period (never past now). --from and --to take an ISO 8601 time (2026-11-01T00:00:00Z) \
            or an age such as 12h or 30d (default: the 30 days before --to, which defaults to now). \
            docs/operations.md, "Reports", defines every column.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case usage, denials, users, trueup
    }

    enum Period: String, ExpressibleByArgument, CaseIterable {
        case hour, day, month
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @OptionGroup var admin: AdminOptions
    @Argument(help: "The report.") var report: Kind
    @Option(help: "Only this license.") var license: String?
    @Option(help: "Only this tenant's licenses.") var tenant: String?
    @Option(help: ArgumentHelp("From this time, rounded down to its period.", valueName: "time|age")) var from: String?
    @Option(help: ArgumentHelp("Up to this time (default: now).", valueName: "time|age")) var to: String?
    @Option(help: "Rows per hour, day or month.") var by: Period = .day
    @Option(help: "table (for people), csv (RFC 4180, opens in a spreadsheet as is) or json (the server's reply). --json is --format json.")
    var format: Format?

    var outputFormat: Format { format ?? (admin.json ? .json : .table) }

    func validate() throws {
        if admin.json, let format, format != .json { throw ValidationError("--json asks for JSON; it cannot be combined with --format \(format.rawValue)") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, Audit.parseTime(value, now: Date()) == nil {
                throw ValidationError("\(name) takes an ISO 8601 time or an age like 30d, got '\(value)'")
            }
        }
    }

    func run() async throws {
        let now = Date()
        let query = AdminReportQuery(
            report: report.rawValue, license: license, tenant: tenant,
            from: from.flatMap { Audit.parseTime($0, now: now) }, to: to.flatMap { Audit.parseTime($0, now: now) }, by: by.rawValue)
        try await withAdminClient(admin) { client in
            let response = try await client.perform(query)
            switch outputFormat {
            case .table: print(ReportOutput.table(response.reply).render())
            case .csv: print(ReportOutput.csv(response.reply), terminator: "")
            case .json: print(response.json)
            }
        }
    }
}
