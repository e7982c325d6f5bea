import SeatCore
@testable import SeatServer
import SeatProtocol
import SeatStorage
import Testing

/// The queue as the license actor carries it out, on a manual clock: grants to waiters are
/// stored, places lapse at the sweep or go with their connection, bounds hold, and an
/// unusable license ends every wait.
@Suite struct SeatServiceQueueTests {
    func place(_ position: UInt32, of waiting: UInt32) -> AcquireOutcome {
        .queued(QueuePlace(position: position, waiting: waiting, seatsTotal: 1, seatsInUse: 1))
    }

    @Test func aFreedSeatIsStoredForTheFirstWaiter() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        let held = try await seats.acquire("holder").get().session
        let (first, _) = testLink()
        let (second, _) = testLink()
        seats.connections.register(first)
        #expect(await seats.acquireOrWait("first", on: first) == .success(place(1, of: 1)))
        #expect(await seats.acquireOrWait("second", on: second) == .success(place(2, of: 2)))
        _ = try await seats.release(held.token).get()
        try await waitUntilStored { try seats.store.loadLiveSessions().map(\.user) == ["first"] }
        #expect(await seats.waitingUsers() == ["second"])
        #expect(try await seats.validate().get().waiting == 1)
        try await waitUntilStored { first.waitedLicenses.isEmpty && first.tokens.count == 1 }
    }

    @Test func aPlaceNotAskedForWithinALeaseLapsesAtTheSweep() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        _ = try await seats.acquire("holder").get()
        let (quiet, _) = testLink()
        let (chatty, _) = testLink()
        _ = await seats.acquireOrWait("quiet", on: quiet)
        _ = await seats.acquireOrWait("chatty", on: chatty)
        seats.advance(milliseconds: SeatServiceFixture.lease / 2)
        #expect(await seats.acquireOrWait("chatty", on: chatty) == .success(place(2, of: 2)))
        seats.advance(milliseconds: SeatServiceFixture.lease / 2 + 1)
        // The sweep gives up quiet's place, then expires the holder: the seat goes to the
        // next in line, chatty (it would be quiet's, had her place not lapsed).
        _ = await seats.service.sweep(now: seats.clock.now())
        try await waitUntilStored { try seats.store.loadLiveSessions().map(\.user) == ["chatty"] }
        #expect(await seats.waitingUsers().isEmpty)
    }

    @Test func aClosedConnectionGivesUpItsPlacesAtOnce() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1), testLicense("LIC-2", seats: 1)])
        defer { seats.remove() }
        _ = try await seats.acquire("holder").get()
        _ = try await seats.acquire("holder", license: "LIC-2").get()
        let (gone, _) = testLink()
        let (stays, _) = testLink()
        _ = await seats.acquireOrWait("gone", on: gone, requestID: 2)
        _ = await seats.acquireOrWait("gone", on: gone, requestID: 3, license: "LIC-2")
        _ = await seats.acquireOrWait("stays", on: stays)
        seats.service.dropWaits(of: gone)
        try await waitUntilStored {
            let first = await seats.waitingUsers()
            let second = await seats.waitingUsers("LIC-2")
            return first == ["stays"] && second.isEmpty
        }
    }

    @Test func theBoundsRefuseLikeAPlainAcquire() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1), testLicense("LIC-2", seats: 1)], queueLimits: QueueLimits(perLicense: 2, perConnection: 1))
        defer { seats.remove() }
        _ = try await seats.acquire("holder").get()
        _ = try await seats.acquire("holder", license: "LIC-2").get()
        let (one, _) = testLink()
        let (two, _) = testLink()
        let (three, _) = testLink()
        #expect(await seats.acquireOrWait("a", on: one) == .success(place(1, of: 1)))
        // Asking again for the place, with a new request id, is not a second wait.
        #expect(await seats.acquireOrWait("a", on: one, requestID: 4) == .success(place(1, of: 1)))
        guard case .failure(.noSeats) = await seats.acquireOrWait("a", on: one, requestID: 3, license: "LIC-2") else {
            Issue.record("a connection's second wait was not refused")
            return
        }
        #expect(await seats.acquireOrWait("b", on: two) == .success(place(2, of: 2)))
        guard case .failure(.noSeats) = await seats.acquireOrWait("c", on: three) else {
            Issue.record("a full queue took a third waiter")
            return
        }
        #expect(await seats.waitingUsers() == ["a", "b"])
    }

    @Test func aRevokedLicenseEndsEveryWait() async throws {
        let seats = try await SeatServiceFixture(licenses: [testLicense(seats: 1)])
        defer { seats.remove() }
        _ = try await seats.acquire("holder").get()
        let (link, _) = testLink()
        seats.connections.register(link)
        _ = await seats.acquireOrWait("waiter", on: link)
        _ = try await seats.service.setLicenseState("LIC-1", to: .revoked, by: "root")
        #expect(await seats.waitingUsers().isEmpty)
        #expect(link.waitedLicenses.isEmpty, "the connection no longer counts the wait")
    }

    /// Polls a condition that completes on the license's loop after a commit.
    func waitUntilStored(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("not reached within 5 s")
    }
}
