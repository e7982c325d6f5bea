import SeatCore
import Testing

/// The queue with the overage allowance and with user or host seat counting: it counts
/// the seats those count, a free overage seat is a free seat, and a request that shares its
/// user's seat takes none, so it neither waits nor is held back for waiters.
@Suite("SeatLedger: queue with overage and seat counting")
struct SeatQueueCountingTests {
    typealias QueueHarness = SeatQueueTests.QueueHarness
    /// Licenses with an overage or a seat counting, as the borrowing tests make them.
    typealias Licenses = SeatLedgerBorrowCountingTests

    @Test func nobodyWaitsWhileTheOverageAllowanceHasRoom() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, overage: .seats(1)))
        _ = try queue.grant("regular")
        let overage = try #require(queue.acquire("peak").granted, "the overage seat is free").session
        #expect(queue.ledger.isOverage(overage.token))
        #expect(queue.acquire("late") == .queued(position: 1, replacing: nil))
        #expect(queue.ledger.seatsInUse == 2 && queue.ledger.seatsOverageInUse == 1)
    }

    @Test func aWaiterGrantedPastTheSeatsIsAnOverageGrant() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, overage: .seats(1)))
        _ = try queue.grant("regular")
        let peak = try queue.grant("peak")
        #expect(queue.acquire("waiter") == .queued(position: 1, replacing: nil))
        // The freed overage seat goes to the head of the queue, and is overage again: the
        // one seat of `seats` is still taken.
        #expect(queue.release(peak) == ["waiter"])
        let waiter = try #require(queue.session(of: "waiter"))
        #expect(queue.ledger.isOverage(waiter.token))
        #expect(queue.ledger.seatsOverageInUse == 1)
    }

    @Test func theHeadGetsASeatOfTheSeatsAndTheNextWaiterTheOverage() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, overage: .seats(1)))
        let regular = try queue.grant("regular")
        let peak = try queue.grant("peak")
        #expect(queue.acquire("first") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("second") == .queued(position: 2, replacing: nil))
        queue.endWithoutServingTheQueue(regular)
        queue.endWithoutServingTheQueue(peak)
        #expect(queue.admit() == ["first", "second"])
        #expect(!queue.ledger.isOverage(try #require(queue.session(of: "first")).token))
        #expect(queue.ledger.isOverage(try #require(queue.session(of: "second")).token))
    }

    @Test func aUserWithALiveSeatSharesItInsteadOfWaiting() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, counting: .user))
        _ = queue.acquire("alice", hw: "hw-1")
        #expect(queue.acquire("bob") == .queued(position: 1, replacing: nil))
        // Bob waits for the one seat; alice's second workstation needs none.
        let second = try #require(queue.acquire("alice", connection: 2, hw: "hw-2").granted, "alice shares her seat").session
        #expect(second.hardwareID == "hw-2")
        #expect(queue.ledger.seatsInUse == 1)
        #expect(queue.order == ["bob"])
    }

    @Test func aSharedSeatIsNotHeldBackForWaitersButANewOneIs() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 2, counting: .user))
        _ = queue.acquire("alice", hw: "hw-1")
        let bob = try queue.grant("bob")
        #expect(queue.acquire("carol") == .queued(position: 1, replacing: nil))
        queue.endWithoutServingTheQueue(bob)
        // The freed seat is carol's: dave may not take it, alice takes no seat at all.
        #expect(queue.acquire("dave", wait: false).granted == nil)
        #expect(queue.acquire("alice", wait: false, hw: "hw-2").granted != nil)
        #expect(queue.admit() == ["carol"])
    }

    @Test func aWaiterWhoseUserGotASeatMeanwhileSharesItAheadOfOthers() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, counting: .user))
        let bob = try queue.grant("bob")
        #expect(queue.acquire("alice", connection: 1, hw: "hw-1") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("carol", connection: 1) == .queued(position: 2, replacing: nil))
        #expect(queue.acquire("alice", connection: 2, hw: "hw-2") == .queued(position: 3, replacing: nil))
        // Alice's first workstation gets the freed seat; her grant is still being stored, so
        // her second waits on, behind carol, who cannot take a seat either.
        #expect(queue.release(bob) == ["alice"])
        #expect(queue.order == ["carol", "alice"])
        // Once alice's seat is live, her second workstation shares it, though carol is ahead.
        #expect(queue.admit() == ["alice"])
        #expect(queue.order == ["carol"])
        #expect(queue.ledger.seatsInUse == 1)
    }

    @Test func hostCountingSharesTheHostsSeatWithAWaitingUser() throws {
        var queue = try QueueHarness(license: Licenses.license(seats: 1, counting: .host))
        _ = queue.acquire("alice", hw: "hw-shared")
        #expect(queue.acquire("bob") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("carol", connection: 2, hw: "hw-shared").granted != nil)
        #expect(queue.ledger.seatsInUse == 1 && queue.order == ["bob"])
    }
}
