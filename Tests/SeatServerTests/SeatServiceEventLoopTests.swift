import SeatCore
@testable import SeatServer
import SeatStorage
import Testing

/// The request path on the license's event loop: decisions on the loop, commits on the
/// storage writer, confirmation back on the loop.
@Suite struct SeatServiceEventLoopTests {
    @Test("concurrent acquires never take more seats than the license has", arguments: [1, 2, 3, 5, 8, 16])
    func concurrentAcquiresNeverOversubscribe(seats count: Int) async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: count)])
        defer { seats.remove() }
        let results = await withTaskGroup(of: Result<AcquireSuccess, SeatFailure>.self) { group in
            for user in 0..<(count * 4) {
                group.addTask { await seats.acquire("user-\(user)") }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let granted = results.compactMap { try? $0.get() }
        #expect(granted.count == count)
        #expect(granted.allSatisfy { $0.seatsInUse <= count })
        for case .failure(let failure) in results {
            guard case .noSeats(let total, let inUse, _) = failure else {
                Issue.record("unexpected refusal \(failure)")
                continue
            }
            #expect(total == count && inUse <= count)
        }
        #expect(try seats.store.loadLiveSessions().count == count)
        #expect(try await seats.validate().get().seatsInUse == count)
    }

    @Test func reacquiresOfOneHolderShareItsSessionWhileTheGrantCommits() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 2)])
        defer { seats.remove() }
        let results = await withTaskGroup(of: Result<AcquireSuccess, SeatFailure>.self) { group in
            for _ in 0..<20 { group.addTask { await seats.acquire("alice") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let sessions = Set(try results.map { try $0.get().session.token })
        #expect(sessions.count == 1)
        #expect(results.filter { (try? $0.get().reattached) == false }.count == 1)
        #expect(try seats.store.loadLiveSessions().count == 1)
    }

    @Test func aFailedGrantCommitGivesTheSeatBack() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        seats.commits.failNext(1)
        guard case .failure(.storage) = await seats.acquire("alice") else {
            Issue.record("the grant was not refused as a storage failure")
            return
        }
        #expect(try await seats.validate().get().seatsInUse == 0)
        #expect(try seats.store.loadLiveSessions().isEmpty)
        let session = try await seats.acquire("bob").get().session
        #expect(try seats.store.loadLiveSessions().map(\.token) == [session.token])
    }

    /// However the two interleave (the second waits on the failing grant, or arrives after
    /// it failed), one is told of the failure and the other gets a seat that is stored.
    @Test func aReacquireWaitingOnAGrantThatFailsDecidesAgain() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        seats.commits.failNext(1)
        async let first = seats.acquire("alice")
        async let second = seats.acquire("alice")
        let results = await [first, second]
        let granted = results.compactMap { try? $0.get() }
        #expect(granted.count == 1)
        #expect(results.contains { if case .failure(.storage) = $0 { true } else { false } })
        #expect(try seats.store.loadLiveSessions().map(\.token) == granted.map(\.session.token))
    }

    @Test func aFailedTakeoverCommitLeavesTheLapsedSessionToBeReclaimedAgain() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let lapsed = try await seats.acquire("alice").get().session
        seats.advance(milliseconds: SeatServiceFixture.lease)
        seats.commits.failNext(1)
        guard case .failure(.storage) = await seats.acquire("bob") else {
            Issue.record("the takeover was not refused as a storage failure")
            return
        }
        #expect(try await seats.validate().get().seatsInUse == 1)
        #expect(try seats.store.loadLiveSessions().map(\.token) == [lapsed.token])
        let takeover = try await seats.acquire("bob").get()
        #expect(takeover.seatsInUse == 1)
        #expect(try seats.store.loadLiveSessions().map(\.token) == [takeover.session.token])
        #expect(try seats.store.endedSession(lapsed.token)?.end == .expired)
    }
}
