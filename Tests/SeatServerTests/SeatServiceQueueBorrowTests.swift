import SeatCore
@testable import SeatServer
import SeatProtocol
import SeatStorage
import Testing

/// A borrowed seat that comes back, by return or by expiry, goes to the first waiter like
/// any freed seat; that grant is stored like any other (audit grant event, which the seat
/// log lines follow, and the usage rollup).
extension SeatServiceQueueTests {
    /// A Borrow through the request dispatcher; nil when it is not granted.
    func borrow(_ user: String, minutes: UInt32, _ seats: SeatServiceFixture) async throws -> BorrowGrant? {
        let (dispatcher, _) = try seats.dispatcher()
        let (laptop, _) = testLink()
        guard case .borrowed(let grant) = await dispatcher.respond(to: SeatServiceBorrowTests.borrowRequest(user, minutes: minutes), on: laptop).reply else { return nil }
        return grant
    }

    @Test func aReturnedBorrowsSeatGoesToTheFirstWaiter() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let borrowed = try #require(try await borrow("ana", minutes: 600, seats))
        let (first, _) = testLink()
        let (second, _) = testLink()
        #expect(await seats.acquireOrWait("first", on: first) == .success(place(1, of: 1)))
        #expect(await seats.acquireOrWait("second", on: second) == .success(place(2, of: 2)))
        _ = try await seats.release(borrowed.token).get()
        try await waitUntilStored { try seats.store.loadLiveSessions().map(\.user) == ["first"] }
        #expect(await seats.waitingUsers() == ["second"])
    }

    @Test func anExpiredBorrowsSeatGoesToTheFirstWaiterStoredAuditedAndCounted() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let borrowed = try #require(try await borrow("ana", minutes: 60, seats))
        let (first, _) = testLink()
        #expect(await seats.acquireOrWait("first", on: first) == .success(place(1, of: 1)))
        // The waiter keeps its place by asking again within every lease.
        for _ in 0..<60 {
            seats.advance(milliseconds: SeatServiceBorrowTests.hour / 60 - 1)
            #expect(await seats.acquireOrWait("first", on: first) == .success(place(1, of: 1)))
        }
        seats.advance(milliseconds: 60)
        _ = await seats.service.sweep(now: seats.clock.now())
        try await waitUntilStored { try seats.store.loadLiveSessions().map(\.user) == ["first"] }
        #expect(try seats.store.endedSession(borrowed.token)?.end == .expired)

        try await seats.store.flush()
        let events = try seats.store.auditEvents(AuditQuery(kinds: [.grant, .expiry])).events
        #expect(events.map { "\($0.kind) \($0.user)" } == ["grant ana", "expiry ana", "grant first"])
        let usage = try seats.store.usage(from: 0, through: UsageHour.hour(of: seats.clock.now()))
        #expect(usage.open.map(\.user) == ["first"])
        #expect(usage.hours.compactMap { $0.endedMilliseconds["ana"] }.reduce(0, +) == SeatServiceBorrowTests.hour)
    }
}
