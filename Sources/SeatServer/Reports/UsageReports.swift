import Dispatch
import SeatCore
import SeatStorage

/// The admin operation `report` (docs/admin-protocol.md): the usage rollup of the
/// licenses the principal may see, as one of the `UsageReportKind` reports.
struct UsageReports: Sendable {
    /// The longest range one report covers, in hours (about 27 months, more than the
    /// default retention): the reply stays a few megabytes at most.
    static let maximumHours: Int64 = 20_000
    /// Without `from`: this long before `to`.
    static let defaultRangeMilliseconds: Int64 = 30 * 86_400_000

    let store: SeatStore
    let service: SeatService
    let clock: any ServerClock

    func report(_ arguments: AdminArguments, as principal: Principal) async throws(AdminFailure) -> [String: Any] {
        let kindName = try arguments.string("report")
        guard let kind = UsageReportKind(rawValue: kindName) else {
            throw .invalidRequest("unknown report \"\(kindName)\"; reports are \(UsageReportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let periodName = try arguments.optionalString("by") ?? UsagePeriod.day.rawValue
        guard let period = UsagePeriod(rawValue: periodName) else { throw .invalidRequest("\"by\" must be hour, day or month") }
        let made = try await make(
            kind, by: period, from: try arguments.optionalTime("from"), to: try arguments.optionalTime("to"),
            license: try arguments.optionalString("license"), tenant: try arguments.optionalString("tenant"), as: principal)
        let report = made.report
        return [
            "report": kind.rawValue, "by": made.period.rawValue, "from": AdminTime.format(made.from), "to": AdminTime.format(made.to),
            "columns": report.columns,
            "rows": report.rows.map { row in
                Dictionary(zip(report.columns, row).compactMap { column, cell in Self.json(cell).map { (column, $0) } }, uniquingKeysWith: { first, _ in first })
            },
        ]
    }

    /// The report `kind` by `asked` over `from..<to` (defaults: the 30 days up to now) of
    /// the licenses `principal` may see, narrowed to `license` and `tenant` when given;
    /// with the period it is by and the whole periods it covers.
    func make(
        _ kind: UsageReportKind, by asked: UsagePeriod, from askedFrom: Timestamp?, to askedTo: Timestamp?, license licenseFilter: String?, tenant tenantFilter: String?,
        as principal: Principal
    ) async throws(AdminFailure) -> (report: UsageReport, period: UsagePeriod, from: Timestamp, to: Timestamp) {
        // A true-up has one row per license for the whole range, rounded to whole hours only.
        let period = kind == .trueup ? .hour : asked
        let now = clock.now()
        let to = askedTo ?? now
        let from = askedFrom ?? to.adding(milliseconds: -Self.defaultRangeMilliseconds)
        guard from < to else { throw .invalidRequest("\"from\" must be before \"to\"") }
        let (first, last) = period.range(from: from, to: to, now: now)
        let firstHour = UsageHour.hour(of: first)
        let lastHour = UsageHour.hour(of: last.adding(milliseconds: -1))
        guard lastHour - firstHour < Self.maximumHours else {
            throw .invalidRequest("a report covers at most \(Self.maximumHours) hours; give a shorter range with \"from\" and \"to\"")
        }

        @Sendable func shows(_ licenseKey: String, of tenant: String) -> Bool {
            principal.canAccess(tenant: tenant) && (tenantFilter ?? tenant) == tenant && (licenseFilter ?? licenseKey) == licenseKey
        }
        let licenses = await service.licenseSnapshots().map(\.license).filter { shows($0.key, of: $0.tenant) }
        let store = store
        let report = try await Self.offThePool { () throws(AdminFailure) -> UsageReport in
            let stored: (hours: [UsageHour], open: [OpenSession])
            do throws(StorageError) {
                stored = try store.usage(from: firstHour, through: lastHour)
            } catch {
                throw .storage(error)
            }
            let summaries = UsageSummarizer.summarize(
                hours: stored.hours.filter { shows($0.licenseKey, of: $0.tenant) },
                open: stored.open.filter { shows($0.licenseKey, of: $0.tenant) },
                licenses: Dictionary(licenses.map { ($0.key, $0.tenant) }, uniquingKeysWith: { first, _ in first }),
                from: from, to: to, now: now, by: period)
            return UsageReport(kind, summaries, seats: Dictionary(licenses.map { ($0.key, $0.seats) }, uniquingKeysWith: { first, _ in first }))
        }
        return (report, period, first, max(first, last))
    }

    /// Runs `body` on a Dispatch thread: a long range over many licenses reads and adds up
    /// many records, which must not hold a thread of the cooperative pool meanwhile.
    private static func offThePool<Value: Sendable>(_ body: @escaping @Sendable () throws(AdminFailure) -> Value) async throws(AdminFailure) -> Value {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, AdminFailure>, Never>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(AdminFailure) in try body() })
            }
        }
        return try result.get()
    }

    /// A cell as the admin channel sends it; nil (left out) for no value.
    private static func json(_ cell: UsageReport.Cell) -> Any? {
        switch cell {
        case .text(let text): text
        case .integer(let value): value
        case .hundredths(let value): Double(value) / 100
        case .time(let time): AdminTime.format(time)
        case .none: nil
        }
    }
}
