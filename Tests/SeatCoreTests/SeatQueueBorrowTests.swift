import SeatCore
import Testing

/// Borrowing and the queue together: a Borrow is judged like an Acquire for queue
/// fairness (it never takes a seat a waiter of its priority or higher could take), and the
/// seat of a borrow that is returned or expires goes to the head of the queue like any
/// freed seat.
@Suite("SeatLedger: queue and borrowing")
struct SeatQueueBorrowTests {
    typealias Harness = SeatQueueTests.QueueHarness
    static let hour: Int64 = 3_600_000

    @Test func aBorrowDoesNotTakeASeatAWaiterCouldTake() throws {
        var queue = try Harness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        queue.endWithoutServingTheQueue(holder)
        #expect(queue.borrow("laptop").refusal == .noSeats(seatsTotal: 1, seatsInUse: 0, nextFreeAt: ts(0)))
        #expect(queue.order == ["waiter"], "a Borrow never waits")
        #expect(queue.admit() == ["waiter"])
    }

    @Test func aBorrowOfHigherPriorityThanEveryWaiterIsGranted() throws {
        var queue = try Harness(seats: 1, policy: "priority 10 LIC-1 user laptop")
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        queue.endWithoutServingTheQueue(holder)
        let borrowed = try #require(queue.borrow("laptop").granted?.session)
        #expect(borrowed.isBorrowed)
        #expect(queue.order == ["waiter"])
        #expect(queue.admit() == [])
    }

    @Test func aReturnedBorrowsSeatGoesToTheHeadOfTheQueue() throws {
        var queue = try Harness(seats: 1)
        let borrowed = try #require(queue.borrow("laptop").granted?.session)
        _ = queue.acquire("first")
        _ = queue.acquire("second")
        #expect(queue.release(borrowed) == ["first"])
        #expect(queue.order == ["second"])
    }

    @Test func anExpiredBorrowsSeatGoesToTheHeadOfTheQueueAfterTheSweep() throws {
        var queue = try Harness(seats: 1)
        _ = try #require(queue.borrow("laptop", hours: 1).granted)
        _ = queue.acquire("first")
        _ = queue.acquire("second")
        queue.now = ts(Self.hour)
        let expired = queue.ledger.beginExpiry(now: queue.now)
        #expect(expired.map(\.user) == ["laptop"])
        queue.ledger.finishEnd(expired.map(\.token))
        #expect(queue.admit() == ["first"])
        #expect(queue.order == ["second"])
    }

    @Test func aWaiterReclaimsALapsedBorrowBeforeTheSweep() throws {
        var queue = try Harness(seats: 1)
        let borrowed = try #require(queue.borrow("laptop", hours: 1).granted?.session)
        _ = queue.acquire("first")
        queue.now = ts(Self.hour)
        let grants = queue.ledger.admitWaiters(now: queue.now, policy: testPolicy, rules: queue.rules) { token(99) }
        #expect(grants.map(\.session.user) == ["first"])
        #expect(grants.first?.reclaimed == [borrowed])
    }
}

extension SeatQueueTests.QueueHarness {
    /// A Borrow for `hours`; it never waits (Borrow has no waiting form).
    mutating func borrow(_ user: String, hours: Int64 = 24) -> AcquireDecision {
        acquire(user, wait: false, borrowMilliseconds: hours * SeatQueueBorrowTests.hour)
    }
}
