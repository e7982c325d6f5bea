import SeatCore
import Testing

/// The queue's order as the ledger keeps it: priorities from the policy, FIFO within a
/// priority, freed seats to the first waiter the rules admit, newcomers never first.
@Suite("SeatLedger: queue")
struct SeatQueueTests {
    /// A ledger judged by one policy file; grants (to requests and to waiters) are confirmed.
    struct QueueHarness {
        var ledger: SeatLedger
        var rules: LicenseRules
        var now = ts(0)
        var nextToken: UInt64 = 1
        var maximumQueueLength = 100

        init(seats: Int, policy: String = "") throws {
            try self.init(license: license(seats: seats), policy: policy)
        }

        init(license: License, policy: String = "") throws {
            ledger = SeatLedger(license: license)
            rules = try SitePolicyParser.parse(policy, file: "test.policy").rules(for: ledger.license)
        }

        static func id(_ user: String, connection: UInt64 = 1) -> WaiterID {
            WaiterID(connection: connection, request: user.utf8.reduce(UInt32(7)) { $0 &* 31 &+ UInt32($1) } | 1)
        }

        /// An acquire; `wait` sends it as AcquireOrWait on `connection`; `borrowMilliseconds`
        /// makes it a Borrow.
        mutating func acquire(_ user: String, wait: Bool = true, connection: UInt64 = 1, hw: String? = nil, borrowMilliseconds: Int64? = nil) -> AcquireDecision {
            let waiting = wait ? QueueRequest(id: Self.id(user, connection: connection), maximumQueueLength: maximumQueueLength) : nil
            var seatRequest = request(user, hw: hw ?? "hw-\(user)")
            seatRequest.borrowMilliseconds = borrowMilliseconds
            let decision = ledger.acquire(seatRequest, now: now, policy: testPolicy, rules: rules, waiting: waiting) {
                defer { nextToken += 1 }
                return token(nextToken)
            }
            if let granted = decision.granted { ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token)) }
            return decision
        }

        mutating func grant(_ user: String) throws -> Session {
            let decision = acquire(user, wait: false)
            return try #require(decision.granted, "expected a grant for \(user), got \(decision)").session
        }

        /// Ends `session` and hands the freed seats to waiters; returns who got them.
        mutating func release(_ session: Session) -> [String] {
            endWithoutServingTheQueue(session)
            return admit()
        }

        /// Ends `session`, its seat not handed to a waiter yet (the server does so at once;
        /// a lapsed lease frees a seat without any event).
        mutating func endWithoutServingTheQueue(_ session: Session) {
            _ = ledger.beginEnd(session.token, reason: .released)
            ledger.finishEnd([session.token])
        }

        mutating func admit() -> [String] {
            let grants = ledger.admitWaiters(now: now, policy: testPolicy, rules: rules) {
                defer { nextToken += 1 }
                return token(nextToken)
            }
            for grant in grants { ledger.confirmGrant(grant.session.token, reclaimed: grant.reclaimed.map(\.token)) }
            return grants.map(\.session.user)
        }

        func session(of user: String) -> Session? { ledger.sessions.first { $0.user == user } }
        var order: [String] { ledger.queue.waiters.map(\.request.user) }
    }

    @Test func aWaitingAcquireIsQueuedWithItsPlaceWhenNoSeatIsFree() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        #expect(queue.acquire("first") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("second") == .queued(position: 2, replacing: nil))
        #expect(queue.ledger.queue.position(of: QueueHarness.id("second")) == 2)
    }

    @Test func anAcquireThatDoesNotWaitIsRefusedAsBefore() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        #expect(queue.acquire("other", wait: false).refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        #expect(queue.ledger.queue.isEmpty)
    }

    @Test func freedSeatsGoToWaitersFirstComeFirstServed() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("first")
        _ = queue.acquire("second")
        #expect(queue.release(holder) == ["first"])
        #expect(queue.order == ["second"])
        #expect(queue.release(try #require(queue.session(of: "first"))) == ["second"])
        #expect(queue.ledger.queue.isEmpty)
    }

    @Test func higherPriorityIsServedFirstAndFIFOWithinAPriority() throws {
        var queue = try QueueHarness(seats: 1, policy: """
            group leads carol dave
            priority 10 LIC-1 group leads
            priority -5 LIC-1 user eve
            """)
        let holder = try queue.grant("holder")
        #expect(queue.acquire("eve") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("alice") == .queued(position: 1, replacing: nil))  // 0 is above eve's -5
        #expect(queue.acquire("carol") == .queued(position: 1, replacing: nil))
        #expect(queue.acquire("bob") == .queued(position: 3, replacing: nil))
        #expect(queue.acquire("dave") == .queued(position: 2, replacing: nil))
        #expect(queue.order == ["carol", "dave", "alice", "bob", "eve"])
        #expect(queue.release(holder) == ["carol"])
    }

    @Test func aNewcomerNeverTakesASeatAWaiterCouldTake() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        queue.endWithoutServingTheQueue(holder)
        #expect(queue.acquire("newcomer", wait: false).refusal != nil)
        #expect(queue.acquire("patient") == .queued(position: 2, replacing: nil))
        #expect(queue.admit() == ["waiter"])
    }

    @Test func aLapsedSeatGoesToTheWaiterNotToTheNewcomer() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        _ = queue.acquire("waiter")
        queue.now = ts(1_500)  // the holder's lease ran out
        #expect(queue.acquire("newcomer", wait: false).refusal != nil)
        #expect(queue.admit() == ["waiter"])
        #expect(queue.ledger.sessions.map(\.user) == ["waiter"], "the waiter's grant reclaimed the lapsed seat")
    }

    @Test func aHigherPriorityNewcomerIsGrantedWhereOnlyLowerPriorityWaits() throws {
        var queue = try QueueHarness(seats: 1, policy: "priority 5 LIC-1 user boss")
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        _ = queue.ledger.beginEnd(holder.token, reason: .released)
        queue.ledger.finishEnd([holder.token])
        #expect(queue.acquire("boss", wait: false).granted != nil)
        #expect(queue.order == ["waiter"])
    }

    @Test func aHolderReattachesWhateverTheQueue() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        #expect(queue.acquire("holder", wait: false).attached?.session.token == holder.token)
        #expect(queue.acquire("holder").attached?.session.token == holder.token)
        #expect(queue.order == ["waiter"])
    }

    @Test func aWaiterQueuingAgainKeepsItsPlaceAndTakesItOver() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("first")
        _ = queue.acquire("second")
        queue.now = ts(500)
        // Same request on the same connection: its place is refreshed.
        #expect(queue.acquire("first") == .queued(position: 1, replacing: nil))
        // From another connection: the place moves there.
        #expect(queue.acquire("first", connection: 2) == .queued(position: 1, replacing: QueueHarness.id("first")))
        let waiter = try #require(queue.ledger.queue.waiters.first)
        #expect(waiter.id == QueueHarness.id("first", connection: 2))
        #expect(waiter.since == ts(0) && waiter.refreshedAt == ts(500))
        // A plain acquire of a waiter does not jump its own place either.
        #expect(queue.acquire("second", wait: false).refusal != nil)
        #expect(queue.release(holder) == ["first"])
    }

    @Test func aClosedConnectionLosesItsPlacesAndThoseBehindMoveUp() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("gone", connection: 7)
        _ = queue.acquire("stays", connection: 8)
        #expect(queue.ledger.removeWaiters(onConnection: 7).map(\.request.user) == ["gone"])
        #expect(queue.ledger.queue.position(of: QueueHarness.id("stays", connection: 8)) == 1)
        #expect(queue.release(holder) == ["stays"])
    }

    @Test func aPlaceNotAskedForAgainLapses() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        _ = queue.acquire("quiet")
        queue.now = ts(600)
        _ = queue.acquire("chatty")
        queue.now = ts(900)
        _ = queue.acquire("chatty")
        #expect(queue.ledger.removeLapsedWaiters(before: ts(500)).map(\.request.user) == ["quiet"])
        #expect(queue.order == ["chatty"])
    }

    @Test func aFullQueueRefusesLikeAPlainAcquire() throws {
        var queue = try QueueHarness(seats: 1)
        queue.maximumQueueLength = 2
        _ = try queue.grant("holder")
        _ = queue.acquire("one")
        _ = queue.acquire("two")
        #expect(queue.acquire("three").refusal == .noSeats(seatsTotal: 1, seatsInUse: 1, nextFreeAt: ts(1_000)))
        #expect(queue.order == ["one", "two"])
    }

    @Test func aWaiterHeldBackByItsMaxDoesNotBlockThoseBehind() throws {
        var queue = try QueueHarness(seats: 2, policy: "max 1 LIC-1 user alice")
        _ = try queue.grant("alice")
        let other = try queue.grant("bob")
        #expect(queue.acquire("alice", hw: "hw-alice-laptop") == .queued(position: 1, replacing: nil))
        _ = queue.acquire("carol")
        #expect(queue.release(other) == ["carol"])
        #expect(queue.order == ["alice"])
    }

    @Test func refusalsWaitingCannotCureAreNotQueued() throws {
        var queue = try QueueHarness(seats: 1, policy: "exclude LIC-1 user mallory")
        _ = try queue.grant("holder")
        #expect(queue.acquire("mallory").refusal == .policy(.excluded(.user("mallory")), seatsTotal: 1, seatsInUse: 1))
        #expect(queue.ledger.queue.isEmpty)
    }

    @Test func moreSeatsGoToTheWaitersInOrder() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        _ = queue.acquire("first")
        _ = queue.acquire("second")
        _ = queue.acquire("third")
        queue.ledger.updateLicense(license(seats: 3))
        #expect(queue.admit() == ["first", "second"])
        #expect(queue.order == ["third"])
    }

    @Test func anUnusableLicenseAdmitsNoWaiter() throws {
        var queue = try QueueHarness(seats: 1)
        let holder = try queue.grant("holder")
        _ = queue.acquire("waiter")
        queue.ledger.updateLicense(license(seats: 1, state: .suspended))
        #expect(queue.release(holder) == [])
        #expect(queue.ledger.removeAllWaiters().map(\.request.user) == ["waiter"])
    }
}

extension SeatQueueTests {
    @Test func aWaitIDReusedForSomeoneElseGivesUpTheFirstWait() throws {
        var queue = try QueueHarness(seats: 1)
        _ = try queue.grant("holder")
        let id = WaiterID(connection: 1, request: 9)
        _ = queue.ledger.acquire(request("first", hw: "hw-first"), now: queue.now, policy: testPolicy, waiting: QueueRequest(id: id, maximumQueueLength: 10)) { token(90) }
        let second = queue.ledger.acquire(request("second", hw: "hw-second"), now: queue.now, policy: testPolicy, waiting: QueueRequest(id: id, maximumQueueLength: 10)) { token(91) }
        #expect(second == .queued(position: 1, replacing: nil))
        #expect(queue.order == ["second"])
    }
}
