import Foundation
import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// Seats on a store that has filled up (a 1 MiB map maximum), on the manual clock: new
/// grants get storageFull, but releases, heartbeats and expiries keep working, no seat is
/// left frozen past its lease, and grants work again once space is freed.
@Suite struct FullStoreSeatTests {
    /// Acquires as new holders until storage refuses; returns the sessions granted.
    private func fill(_ seats: SeatServiceFixture) async throws -> [Session] {
        var granted: [Session] = []
        for number in 0..<100_000 {
            switch await seats.acquire("user-\(number)-with-a-longer-name", hardware: "hw-\(number)") {
            case .success(let success): granted.append(success.session)
            case .failure(.storage(.full)): return granted
            case .failure(let failure):
                Issue.record("unexpected refusal \(failure)")
                return granted
            }
        }
        Issue.record("storage never filled up")
        return granted
    }

    @Test func fullStoreReleasesAndExpiresEverySeatAndGrantsAgainOnceSpaceIsFreed() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1_000_000)], retentionSeconds: 60, maximumMapSizeBytes: 1 << 20)
        defer { seats.remove() }
        let granted = try await fill(seats)
        #expect(granted.count > 500)
        #expect(seats.store.statistics.refusingAddingWrites)

        // 200 releases, each answered only once durable: all succeed.
        var released = 0
        for session in granted.prefix(200) {
            if case .success(let result) = await seats.release(session.token), result.ended { released += 1 }
        }
        #expect(released == 200)

        // A heartbeat finding its lease run out stores the expiry and says so.
        seats.advance(milliseconds: SeatServiceFixture.lease + 1)
        #expect(await seats.heartbeat(granted[200].token) == .failure(.sessionEnded(.expired)))

        // The sweep reclaims every other lapsed seat: none is left frozen.
        let expired = await seats.service.sweep(now: seats.clock.now())
        #expect(expired == granted.count - 201)
        #expect(seats.service.sessionCount == 0)
        #expect(try seats.store.loadLiveSessions().isEmpty)
        #expect(try await seats.validate().get().seatsInUse == 0)

        // Space is freed as the sweep usually frees it (tombstones and audit past
        // retention): grants work again, without reopening the store.
        seats.advance(milliseconds: 61_000)
        let retention = AuditRetention(store: seats.store, settings: .init(retentionDays: 1, maximumBytes: 32 << 10), logger: silentLogger)
        await SweepPass(
            service: seats.service, audit: AuditLog(store: seats.store, aggregationWindowSeconds: 60), auditRetention: retention,
            usageRetention: UsageRetention(store: seats.store, months: 18, logger: silentLogger), metrics: SeatMetrics(), clock: seats.clock
        ).run()
        let again = await seats.acquire("after-the-disk-was-cleaned")
        #expect((try? again.get()) != nil, "\(again)")
        #expect(!seats.store.statistics.refusingAddingWrites)
    }

    /// Thousands of lapsed seats are stored in bounded commits, and every one is reclaimed.
    @Test func sweepEndsLapsedSeatsInBoundedCommits() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2_000)])
        defer { seats.remove() }
        for number in 0..<1_000 {
            _ = try await seats.acquire("user-\(number)", hardware: "hw-\(number)").get()
        }
        seats.advance(milliseconds: SeatServiceFixture.lease + 1)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 1_000)
        #expect(seats.commits.endsPerCommit == [256, 256, 256, 232])
        #expect(seats.service.sessionCount == 0)
    }

    /// A chunk refused for lack of space is halved until a single session; one that still
    /// fails leaves its seats (and the ones after it) ending, never renewed, and the next
    /// sweep stores them.
    @Test func chunkRefusedForSpaceIsHalvedThenRetriedByTheNextSweep() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2_000)])
        defer { seats.remove() }
        var tokens: [SessionToken] = []
        for number in 0..<600 {
            tokens.append(try await seats.acquire("user-\(number)", hardware: "hw-\(number)").get().session.token)
        }
        seats.advance(milliseconds: SeatServiceFixture.lease + 1)
        seats.commits.failNext(9)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 0)
        #expect(seats.commits.endsPerCommit == [256, 128, 64, 32, 16, 8, 4, 2, 1])
        #expect(seats.service.sessionCount == 600)
        // Ended by the server, even though not stored yet: never renewed.
        if case .success = await seats.heartbeat(tokens[599]) { Issue.record("a session the server ended was renewed") }

        #expect(await seats.service.sweep(now: seats.clock.now()) == 600)
        #expect(seats.commits.endsPerCommit.dropFirst(9) == [256, 256, 88])
        #expect(seats.service.sessionCount == 0)
    }

    /// A chunk that fits once halved is stored, and the rest go on at that size.
    @Test func halvedChunksStoreEverySeatInOneSweep() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2_000)])
        defer { seats.remove() }
        for number in 0..<300 {
            _ = try await seats.acquire("user-\(number)", hardware: "hw-\(number)").get()
        }
        seats.advance(milliseconds: SeatServiceFixture.lease + 1)
        seats.commits.failNext(2)
        #expect(await seats.service.sweep(now: seats.clock.now()) == 300)
        #expect(seats.commits.endsPerCommit == [256, 128, 64, 64, 64, 64, 44])
        #expect(seats.service.sessionCount == 0)
    }
}
