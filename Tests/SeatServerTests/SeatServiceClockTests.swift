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

    @Test func aRestartGivesAStoredSessionOneHeartbeatIntervalBeyondItsStoredLease() async throws {
        let first = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        let session = try await first.acquire("alice").get().session
        first.advance(milliseconds: Self.lease / 2)
        try await first.store.flush()
        first.close()

        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory)
        defer { second.remove() }
        let restored = try #require(await second.service.sessions(matching: SessionFilter()).first?.session)
        #expect(restored.token == session.token)
        let reclaimAt = session.lastHeartbeatAt.adding(milliseconds: Self.lease + SeatServiceFixture.policy.heartbeatIntervalMilliseconds)
        #expect(restored.leaseExpiresAt == reclaimAt)
        second.clock.advance(by: .milliseconds(reclaimAt.millisecondsSinceEpoch - second.clock.now().millisecondsSinceEpoch - 1))
        #expect(await second.service.sweep(now: second.clock.now()) == 0)
        second.advance(milliseconds: 1)
        #expect(await second.service.sweep(now: second.clock.now()) == 1)
    }

    /// A client heartbeating faster than the interval (or flooding heartbeats) costs one
    /// write per half interval; the lease it was last told still survives a crash.
    @Test func heartbeatsWithinHalfAnIntervalOfTheStoredOneAreNotWrittenAndARestartKeepsTheToldLease() async throws {
        let interval = SeatServiceFixture.policy.heartbeatIntervalMilliseconds
        let first = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        let session = try await first.acquire("alice").get().session
        let lazyBefore = first.commits.lazyCommits
        // A heartbeat every 1/20 interval for half an interval, less a millisecond: none stored.
        for _ in 0..<9 {
            first.advance(milliseconds: interval / 20)
            _ = try await first.heartbeat(session.token).get()
        }
        first.advance(milliseconds: interval / 20 - 1)
        _ = try await first.heartbeat(session.token).get()
        #expect(first.commits.lazyCommits == lazyBefore)
        try await first.store.flush()
        #expect(try first.store.loadLiveSessions().first?.lastHeartbeatAt == session.lastHeartbeatAt)
        // Half an interval after the grant: stored.
        first.advance(milliseconds: 1)
        let stored = try await first.heartbeat(session.token).get()
        #expect(first.commits.lazyCommits == lazyBefore + 1)
        try await first.store.flush()
        #expect(try first.store.loadLiveSessions().first?.lastHeartbeatAt == stored.lastHeartbeatAt)
        // The last one before the crash is not stored; the holder was told its lease.
        first.advance(milliseconds: interval / 2 - 1)
        let told = try await first.heartbeat(session.token).get()
        #expect(first.commits.lazyCommits == lazyBefore + 1)
        try await first.store.flush()
        first.close()

        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory)
        defer { second.remove() }
        let restored = try #require(await second.service.sessions(matching: SessionFilter()).first?.session)
        #expect(restored.leaseExpiresAt >= told.leaseExpiresAt, "a restart took back lease time a holder was told")
        second.clock.advance(by: .milliseconds(told.leaseExpiresAt.millisecondsSinceEpoch - second.clock.now().millisecondsSinceEpoch - 1))
        #expect(await second.service.sweep(now: second.clock.now()) == 0)
        _ = try await second.heartbeat(session.token).get()
    }

    /// Restarts faster than the lease used to give every stored session a fresh lease each
    /// time, so a crash loop never reclaimed an abandoned seat.
    @Test func aCrashLoopStillReclaimsAnAbandonedSeatWithinLeasePlusOneInterval() async throws {
        var current = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        let session = try await current.acquire("alice").get().session
        let reclaimAt = session.lastHeartbeatAt.adding(milliseconds: Self.lease + SeatServiceFixture.policy.heartbeatIntervalMilliseconds)
        var reclaimed = false
        for _ in 0..<20 {
            // Down and up again every tenth of a lease; nobody heartbeats.
            current.advance(milliseconds: Self.lease / 10)
            try await current.store.flush()
            current.close()
            current = try await SeatServiceFixture(licenses: [], clock: current.clock, reopening: current.directory)
            if await current.service.sweep(now: current.clock.now()) == 1 {
                reclaimed = true
                #expect(current.clock.now() >= reclaimAt)
                #expect(current.clock.now() < reclaimAt.adding(milliseconds: Self.lease / 10))
                break
            }
        }
        defer { current.remove() }
        #expect(reclaimed)
        #expect(await current.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
    }

    /// A holder told `sessionExpired` must never find the session live after a crash.
    @Test func anExpiryToldToTheHolderIsDurableBeforeTheReply() async throws {
        let first = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        let session = try await first.acquire("alice").get().session
        // Lapsed, and no sweep has run: the heartbeat itself finds it.
        first.advance(milliseconds: Self.lease + 1)
        #expect(await first.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
        first.close()

        let second = try await SeatServiceFixture(licenses: [], clock: first.clock, reopening: first.directory)
        defer { second.remove() }
        #expect(await second.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
        let again = try await second.acquire("alice").get()
        #expect(again.session.token != session.token)
        #expect(again.reattached == false)
    }

    /// If the expiry cannot be stored, the holder is not told it expired (a restart would
    /// undo that); the seat stays taken and the next sweep stores the end.
    @Test func anExpiryThatCannotBeStoredIsNotToldAndTheSweepStoresIt() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let session = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: Self.lease + 1)
        seats.commits.failNext(1)
        guard case .failure(.storage) = await seats.heartbeat(session.token) else {
            Issue.record("expected a storage failure")
            return
        }
        #expect(try await seats.validate().get().seatsInUse == 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1)
        #expect(await seats.heartbeat(session.token) == .failure(.sessionEnded(.expired)))
        #expect(try await seats.validate().get().seatsInUse == 0)
    }
}
