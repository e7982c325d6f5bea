import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// Ends the server decides (revocation, deletion, expiry) stand even when their commit
/// fails: the sessions stay ended in memory, heartbeats do not extend them (nor are they
/// told of an end that is not durable yet), and the next sweep commits them again.
@Suite struct ServerEndedSessionTests {
    /// A heartbeat answered with a storage failure: not extended, and not told an end a
    /// restart could undo.
    func refusedUntilStored(_ result: Result<Session, SeatFailure>) -> Bool {
        if case .failure(.storage) = result { return true }
        return false
    }

    @Test func aRevocationWhoseCommitFailedIsRetriedByTheNextSweep() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.commits.failNext(1)
        let (_, changes) = try await seats.service.setLicenseState("LIC-1", to: .revoked, by: "root")
        #expect(changes.sessionsRevoked == 0, "nothing was ended durably yet")
        #expect(refusedUntilStored(await seats.heartbeat(session.token)))
        #expect(try seats.store.loadLiveSessions().map(\.token) == [session.token])

        await seats.service.sweep(now: seats.clock.now())
        #expect(try seats.store.loadLiveSessions().isEmpty)
        #expect(try seats.store.endedSession(session.token)?.end == .revoked)
    }

    @Test func aDeletedLicenseWhoseEndsFailedStillEndsItsSessionsAndNoHeartbeatExtendsThem() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.commits.failNext(1)
        _ = try await seats.service.deleteLicense("LIC-1", by: "root")
        seats.advance(milliseconds: 1_000)
        #expect(refusedUntilStored(await seats.heartbeat(session.token)))
        #expect(try seats.store.loadLiveSessions().map(\.leaseExpiresAt) == [session.leaseExpiresAt])

        await seats.service.sweep(now: seats.clock.now())
        #expect(try seats.store.loadLiveSessions().isEmpty)
        #expect(try seats.store.endedSession(session.token)?.end == .revoked)
        #expect(await seats.heartbeat(session.token) == .failure(.sessionEnded(.revoked)))
    }

    @Test func anExpiryWhoseCommitFailedKeepsTheSeatAndIsRetried() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: SeatServiceFixture.lease)
        seats.commits.failNext(1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 0)
        #expect(refusedUntilStored(await seats.heartbeat(session.token)))
        #expect(try await seats.validate().get().seatsInUse == 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        #expect(try seats.store.endedSession(session.token)?.end == .expired)
        #expect(await seats.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
        #expect(try await seats.validate().get().seatsInUse == 0)
    }
}
