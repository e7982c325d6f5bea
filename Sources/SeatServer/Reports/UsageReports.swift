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
        guard let asked = UsagePeriod(rawValue: periodName) else { throw .invalidRequest("\"by\" must be hour, day or month") }
        // A true-up has one row per license for the whole range, rounded to whole hours only.
        let period = kind == .trueup ? .hour : asked
        let now = clock.now()
        let to = try arguments.optionalTime("to") ?? now
        let from = try arguments.optionalTime("from") ?? to.adding(milliseconds: -Self.defaultRangeMilliseconds)
        guard from < to else { throw .invalidRequest("\"from\" must be before \"to\"") }
        let (first, last) = period.range(from: from, to: to, now: now)
        let firstHour = UsageHour.hour(of: first)
        let lastHour = UsageHour.hour(of: last.adding(milliseconds: -1))
        guard lastHour - firstHour < Self.maximumHours else {
            throw .invalidRequest("a report covers at most \(Self.maximumHours) hours; give a shorter range with \"from\" and \"to\"")
        }

        let licenseFilter = try arguments.optionalString("license")
        let tenantFilter = try arguments.optionalString("tenant")
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
        return [
            "report": kind.rawValue, "by": period.rawValue, "from": AdminTime.format(first), "to": AdminTime.format(max(first, last)),
            "columns": report.columns,
            "rows": report.rows.map { row in
                Dictionary(zip(report.columns, row).compactMap { column, cell in Self.json(cell).map { (column, $0) } }, uniquingKeysWith: { first, _ in first })
            },
        ]
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
