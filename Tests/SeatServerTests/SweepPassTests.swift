import Foundation
import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// One sweep as the sweeper's timer runs it, on the manual clock.
@Suite struct SweepPassTests {
    @Test func auditEventsGoOnceTheyArePastTheRetentionAge() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let day: Int64 = 86_400_000
        let retention = AuditRetention(store: seats.store, settings: .init(retentionDays: 2, maximumBytes: 1 << 20), logger: silentLogger)
        let audit = AuditLog(store: seats.store, aggregationWindowSeconds: 60)
        let pass = SweepPass(
            service: seats.service, audit: audit, auditRetention: retention,
            usageRetention: UsageRetention(store: seats.store, months: 18, logger: silentLogger), metrics: SeatMetrics(), clock: seats.clock)
        let granted = try await seats.acquire("alice").get().session
        _ = try await seats.release(granted.token).get()
        let kinds = { try seats.store.auditEvents(AuditQuery()).events.map(\.kind) }
        #expect(try kinds() == [.grant, .release])

        seats.advance(milliseconds: 2 * day)
        await pass.run()
        #expect(try kinds() == [.grant, .release], "exactly the retention age is kept")
        seats.advance(milliseconds: 1)
        await pass.run()
        #expect(try kinds().isEmpty)
    }
}
