import Foundation
import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// `report_retention_months`: the sweep deletes usage rollups of the months before it.
@Suite struct UsageRetentionTests {
    static let month: Int64 = 2_629_746_000

    @Test func theKeyDefaultsTo18MonthsAndAppliesOnReload() throws {
        #expect(try ConfigurationLoader.load(file: nil, overrides: []).reportRetentionMonths == 18)
        #expect(try ConfigurationLoader.load(file: nil, overrides: ["report_retention_months=1"]).reportRetentionMonths == 1)
        for override in ["report_retention_months=0", "report_retention_months=1201", "report_retention_months=a year"] {
            #expect(throws: ConfigurationError.self, "\(override)") { try ConfigurationLoader.load(file: nil, overrides: [override]) }
        }
        #expect(!ConfigurationLoader.restartOnlyKeys.contains("report_retention_months"))
    }

    @Test func theCutoffIsTheStartOfACalendarMonthSoTheOldestMonthKeptIsWhole() {
        let now = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)  // 2027-01-15T08:00:00Z
        #expect(UsageHour.start(of: UsageRetention.cutoffHour(months: 18, now: now)).iso8601 == "2025-07-01T00:00:00.000Z")
        #expect(UsageHour.start(of: UsageRetention.cutoffHour(months: 1, now: now)).iso8601 == "2026-12-01T00:00:00.000Z")
    }

    @Test func theSweepDeletesTheHoursPastRetentionAndKeepsTheRest() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let audit = AuditLog(store: seats.store, aggregationWindowSeconds: 60)
        let pass = SweepPass(
            service: seats.service, audit: audit,
            auditRetention: AuditRetention(store: seats.store, settings: .init(retentionDays: 0, maximumBytes: 1 << 20), logger: silentLogger),
            usageRetention: UsageRetention(store: seats.store, months: 2, logger: silentLogger), metrics: SeatMetrics(), clock: seats.clock)
        let granted = try await seats.acquire("alice").get().session
        _ = try await seats.release(granted.token).get()
        let stored = { try seats.store.usage(from: 0, through: .max).hours.map(\.licenseKey) }
        #expect(try stored() == ["LIC-1"])

        seats.advance(milliseconds: 2 * Self.month)
        await pass.run()
        #expect(try stored() == ["LIC-1"], "two months later the month of the hour is still kept")
        seats.advance(milliseconds: Self.month)
        await pass.run()
        #expect(try stored().isEmpty)
    }
}
