import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// Leases, sweeps, retention and restarts on a `ManualClock`: every boundary is hit to
/// the millisecond, and nothing waits for real time.
@Suite struct SeatServiceClockTests {
    static let lease = SeatServiceFixture.lease

    @Test func theSweepReclaimsALeaseTheMomentItRunsOut() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        #expect(session.leaseExpiresAt == seats.clock.now().adding(milliseconds: Self.lease))
        seats.advance(milliseconds: Self.lease - 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 0, "one millisecond early")
        #expect(try seats.store.loadLiveSessions().map(\.token) == [session.token])
        #expect(try await seats.validate().get().seatsInUse == 1)
        seats.advance(milliseconds: 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        #expect(try seats.store.loadLiveSessions().isEmpty)
        #expect(try seats.store.endedSession(session.token)?.end == .expired)
        #expect(try await seats.validate().get().seatsInUse == 0)
        // The seat is free for someone else.
        #expect(try await seats.acquire("bob").get().reattached == false)
    }

    @Test func aHeartbeatExtendsTheLeaseFromItsOwnTime() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: Self.lease - 1)
        let extended = try await seats.heartbeat(session.token).get()
        #expect(extended.leaseExpiresAt == seats.clock.now().adding(milliseconds: Self.lease))
        seats.advance(milliseconds: Self.lease - 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 0)
        seats.advance(milliseconds: 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
    }

    @Test func aLateHeartbeatLearnsTheSessionExpiredUntilRetentionForgetsIt() async throws {
        let retention: Int64 = 600_000
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)], retentionSeconds: Double(retention) / 1000)
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: Self.lease)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        let endedAt = seats.clock.now()

        // Kept for the whole retention, the last millisecond included.
        seats.advance(milliseconds: retention)
        await seats.service.sweep(now: seats.clock.now())
        #expect(await seats.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
        // Release stays idempotent while the tombstone is kept.
        #expect(try await seats.release(session.token).get().ended == false)

        seats.advance(milliseconds: 1)
        #expect(seats.clock.now() == endedAt.adding(milliseconds: retention + 1))
        await seats.service.sweep(now: seats.clock.now())
        #expect(await seats.heartbeat(session.token) == .failure(.unknownSession))
        #expect(await seats.release(session.token) == .failure(.unknownSession))
    }

    @Test func aRestartGivesEveryStoredSessionAtLeastAFullLeaseFromTheRestart() async throws {
        let first = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        let session = try await first.acquire("alice").get().session
        // The stored expiry is the grant's; heartbeats after it are lazy.
        first.advance(milliseconds: Self.lease / 2)
        try await first.store.flush()
        first.close()
        let restartedAt = first.clock.now()

        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory)
        defer { second.remove() }
        let restored = try #require(try await second.service.sessions(matching: SessionFilter()).first?.session)
        #expect(restored.token == session.token)
        #expect(restored.leaseExpiresAt == SeatServiceFixture.policy.restoredLeaseExpiry(stored: session.leaseExpiresAt, restartedAt: restartedAt))
        #expect(restored.leaseExpiresAt == restartedAt.adding(milliseconds: Self.lease))
        second.advance(milliseconds: Self.lease - 1)
        #expect(await second.service.sweep(now: second.clock.now()) == 0)
        second.advance(milliseconds: 1)
        #expect(await second.service.sweep(now: second.clock.now()) == 1)
    }
}
