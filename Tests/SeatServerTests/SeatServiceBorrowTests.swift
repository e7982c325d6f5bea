import Foundation
import SeatCore
import SeatLicensing
import SeatProtocol
@testable import SeatServer
import SeatStorage
import Testing

/// Borrowed seats through the server's request handling and sweep, on the manual clock:
/// the Borrowed reply's lease verifies with the server's key, the sweep leaves the seat
/// alone until the borrow's expiry and then ends it (audited), and a restart keeps the
/// expiry the lease states.
@Suite struct SeatServiceBorrowTests {
    static let hour: Int64 = 3_600_000

    static func borrowRequest(_ user: String, minutes: UInt32) -> ClientMessage {
        .borrow(BorrowRequest(
            seat: AcquireRequest(licenseKey: "LIC-1", user: user, hostname: "laptop-\(user)", hardwareID: "hw-\(user)", clientVersion: "1"),
            durationMinutes: minutes))
    }

    @Test func theSweepEndsABorrowedSeatAtItsExpiryNotBefore() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let key = BorrowSigningKey.generate()
        let (dispatcher, _) = try seats.dispatcher(borrowKey: key)
        let (link, _) = testLink()
        let borrowedAt = seats.clock.now()
        guard case .borrowed(let grant) = await dispatcher.respond(to: Self.borrowRequest("ana", minutes: 120), on: link).reply else {
            Issue.record("not Borrowed")
            return
        }
        #expect(grant.expiresAt == borrowedAt.adding(milliseconds: 2 * Self.hour))
        #expect(grant.seatsInUse == 1 && !grant.reattached)
        guard case .valid(let lease) = BorrowLeaseVerifier.verify(grant.lease, trusting: key.publicKey, now: borrowedAt, hardwareID: "hw-ana") else {
            Issue.record("the lease does not verify")
            return
        }
        #expect(lease.expiresAt == grant.expiresAt && lease.issuedAt == borrowedAt && lease.user == "ana" && lease.tenant == License.defaultTenant)

        // Far past any heartbeat lease, the borrowed seat is still held.
        seats.advance(milliseconds: 2 * Self.hour - 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 0)
        #expect(await seats.acquire("bob").isFailure)
        seats.advance(milliseconds: 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        #expect(try seats.store.endedSession(grant.token)?.end == .expired)
        #expect(try await seats.acquire("bob").get().reattached == false)

        try await seats.store.flush()
        let events = try seats.store.auditEvents(AuditQuery(kinds: [.grant, .expiry])).events
        let named = "borrow_lease=\(BorrowLease.idText(lease.leaseID))"
        #expect(events.filter { $0.detail.contains(named) }.map(\.kind) == [.grant, .expiry])
    }

    /// A force-release frees a borrowed seat on the server at once; the offline lease it
    /// handed out still verifies until its expiry (docs/operations.md, "Borrowing").
    @Test func aForceReleaseFreesABorrowedSeatButNotItsOfflineLease() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let key = BorrowSigningKey.generate()
        let (dispatcher, _) = try seats.dispatcher(borrowKey: key)
        let (link, _) = testLink()
        guard case .borrowed(let grant) = await dispatcher.respond(to: Self.borrowRequest("ana", minutes: 60), on: link).reply else {
            Issue.record("not Borrowed")
            return
        }
        let released = try await seats.service.forceRelease(matching: SessionFilter(user: "ana"), by: "test-admin")
        #expect(released.map(\.session.token) == [grant.token])
        #expect(try seats.store.endedSession(grant.token)?.end == .revoked)
        #expect(try await seats.acquire("bob").get().reattached == false)
        #expect(BorrowLeaseVerifier.verify(grant.lease, trusting: key.publicKey, now: seats.clock.now(), hardwareID: "hw-ana").isValid)
    }

    @Test func aRestartKeepsABorrowedSeatsExpiry() async throws {
        let first = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        let (dispatcher, _) = try first.dispatcher()
        let (link, _) = testLink()
        guard case .borrowed(let grant) = await dispatcher.respond(to: Self.borrowRequest("ana", minutes: 600), on: link).reply else {
            Issue.record("not Borrowed")
            first.remove()
            return
        }
        try await first.store.flush()
        first.close()

        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory)
        defer { second.remove() }
        let restored = try #require(await second.service.sessions(matching: SessionFilter()).first?.session)
        #expect(restored.token == grant.token && restored.isBorrowed)
        #expect(restored.leaseExpiresAt == grant.expiresAt)
        // A heartbeat leaves it as signed.
        #expect(try await second.heartbeat(grant.token).get().leaseExpiresAt == grant.expiresAt)
        // Returned early: the seat frees at once.
        #expect(try await second.release(grant.token).get().ended)
        #expect(try await second.validate().get().seatsInUse == 0)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
