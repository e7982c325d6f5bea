import SeatCore
import Testing

/// Borrowed seats (offline use) in the ledger: they count as seats, need no heartbeats,
/// end early on return and by the sweep at their expiry, and the policy's borrow rules
/// (who, how long, how many) are applied when they are granted.
@Suite("SeatLedger: borrowing")
struct SeatLedgerBorrowTests {
    static let hour: Int64 = 3_600_000

    struct BorrowHarness {
        var ledger: SeatLedger
        var rules: LicenseRules
        var now = ts(0)
        var nextToken: UInt64 = 1

        init(seats: Int, policy: String = "") throws {
            try self.init(license(seats: seats), policy: policy)
        }

        init(_ license: License, policy: String = "") throws {
            ledger = SeatLedger(license: license)
            rules = try SitePolicyParser.parse(policy, file: "test.policy").rules(for: ledger.license)
        }

        /// A borrow (`hours` set) or an ordinary acquire; a grant is confirmed.
        mutating func ask(_ user: String, hw: String? = nil, hours: Int64?) -> AcquireDecision {
            var seatRequest = request(user, hw: hw ?? "hw-\(user)")
            seatRequest.borrowMilliseconds = hours.map { $0 * hour }
            let decision = ledger.acquire(seatRequest, now: now, policy: testPolicy, rules: rules) {
                defer { nextToken += 1 }
                return token(nextToken)
            }
            if let granted = decision.granted { ledger.confirmGrant(granted.session.token, reclaimed: granted.reclaimed.map(\.token)) }
            return decision
        }

        mutating func borrow(_ user: String, hw: String? = nil, hours: Int64 = 24) -> AcquireDecision {
            ask(user, hw: hw, hours: hours)
        }

        func policyRefusal(_ refusal: PolicyRefusal) -> AcquireRefusal {
            .policy(refusal, seatsTotal: ledger.seatsTotal, seatsInUse: ledger.seatsInUse)
        }
    }

    @Test func aBorrowTakesASeatUntilItsExpiryWithALeaseID() throws {
        var h = try BorrowHarness(seats: 2)
        h.now = ts(5_000)
        let session = try #require(h.borrow("alice", hours: 24).granted?.session)
        #expect(session.isBorrowed)
        #expect(session.leaseExpiresAt == ts(5_000 + 24 * Self.hour))
        // The lease id is a second draw of the token source, not the session's token.
        #expect(session.borrowLeaseID == token(2).high)
        #expect(h.ledger.seatsInUse == 1)
        #expect(h.ask("bob", hours: nil).granted != nil)
        #expect(h.ask("carol", hours: nil).refusal == .noSeats(seatsTotal: 2, seatsInUse: 2, nextFreeAt: ts(6_000)))
    }

    @Test func aBorrowIsCappedAtTheDefaultMaximumOf168Hours() throws {
        var h = try BorrowHarness(seats: 1)
        let session = try #require(h.borrow("alice", hours: 1_000).granted?.session)
        #expect(session.leaseExpiresAt == ts(168 * Self.hour))
    }

    @Test func borrowMaxHoursCapsItAndTheStrictestRuleWins() throws {
        var h = try BorrowHarness(seats: 1, policy: "borrow_max_hours 72 *\nborrow_max_hours 8 LIC-1\nborrow_max_hours 48 LIC-1")
        #expect(h.rules.borrowMaxHours == 8)
        let session = try #require(h.borrow("alice", hours: 24).granted?.session)
        #expect(session.leaseExpiresAt == ts(8 * Self.hour))
    }

    @Test func aBorrowedSeatNeedsNoHeartbeatAndOneThatComesChangesNothing() throws {
        var h = try BorrowHarness(seats: 1)
        let session = try #require(h.borrow("alice", hours: 2).granted?.session)
        h.now = ts(Self.hour)
        #expect(h.ledger.beginExpiry(now: h.now).isEmpty)
        #expect(h.ledger.heartbeat(session.token, now: h.now, policy: testPolicy) == .extended(session, store: false))
        #expect(h.ledger.session(session.token)?.leaseExpiresAt == ts(2 * Self.hour))
    }

    @Test func theSweepEndsABorrowAtItsExpiry() throws {
        var h = try BorrowHarness(seats: 1)
        let session = try #require(h.borrow("alice", hours: 2).granted?.session)
        #expect(h.ledger.beginExpiry(now: ts(2 * Self.hour - 1)).isEmpty)
        let expired = h.ledger.beginExpiry(now: ts(2 * Self.hour))
        #expect(expired.map(\.token) == [session.token])
        h.ledger.finishEnd([session.token])
        #expect(h.ledger.seatsInUse == 0)
    }

    @Test func returningABorrowEarlyFreesItsSeat() throws {
        var h = try BorrowHarness(seats: 1)
        let session = try #require(h.borrow("alice").granted?.session)
        #expect(h.ledger.beginEnd(session.token, reason: .released) == .ending(session))
        h.ledger.finishEnd([session.token])
        #expect(h.ledger.seatsInUse == 0)
        #expect(h.ask("bob", hours: nil).granted != nil)
    }

    @Test func borrowingAgainReturnsTheSameLeaseUnchanged() throws {
        var h = try BorrowHarness(seats: 2)
        let first = try #require(h.borrow("alice", hours: 10).granted?.session)
        h.now = ts(Self.hour)
        #expect(h.borrow("alice", hours: 100).attached?.session == first)
        #expect(h.ledger.seatsInUse == 1)
    }

    /// A borrow and an ordinary seat of the same user and machine are different holders:
    /// neither turns into the other.
    @Test func aBorrowAndAnOrdinarySeatOfOneMachineAreApart() throws {
        var h = try BorrowHarness(seats: 3)
        let ordinary = try #require(h.ask("alice", hw: "hw-1", hours: nil).granted?.session)
        let borrowed = try #require(h.borrow("alice", hw: "hw-1").granted?.session)
        #expect(ordinary.token != borrowed.token)
        #expect(h.ask("alice", hw: "hw-1", hours: nil).attached?.session.token == ordinary.token)
        #expect(h.ledger.seatsInUse == 2)
    }

    @Test func borrowMaxSeatsLimitsTheSeatsOutOnBorrowNotTheOthers() throws {
        var h = try BorrowHarness(seats: 5, policy: "borrow_max_seats 2 LIC-1")
        #expect(h.borrow("a").granted != nil)
        #expect(h.borrow("b").granted != nil)
        #expect(h.borrow("c").refusal == h.policyRefusal(.overBorrowMax(limit: 2)))
        #expect(h.ask("c", hours: nil).granted != nil)
        // A borrow asked again is not a new one: never refused by the limit.
        #expect(h.borrow("a").attached != nil)
    }

    @Test func anExpiredBorrowDoesNotCountAgainstBorrowMaxSeats() throws {
        var h = try BorrowHarness(seats: 2, policy: "borrow_max_seats 1 LIC-1")
        #expect(h.borrow("a", hours: 1).granted != nil)
        h.now = ts(Self.hour)
        // The lapsed borrow is reclaimed by the new one, which takes its place.
        let granted = try #require(h.borrow("b", hours: 1).granted)
        #expect(granted.reclaimed.map(\.user) == ["a"])
    }

    @Test func borrowDenyWinsAndBorrowAllowListsWhoMay() throws {
        var h = try BorrowHarness(seats: 5, policy: """
            group eng alice bob
            borrow allow LIC-1 group eng
            borrow deny LIC-1 user bob
            """)
        #expect(h.borrow("alice").granted != nil)
        #expect(h.borrow("bob").refusal == h.policyRefusal(.borrowNotAllowed(.user("bob"))))
        #expect(h.borrow("carol").refusal == h.policyRefusal(.borrowNotAllowed(nil)))
        // The borrow rules do not touch ordinary seats.
        #expect(h.ask("bob", hours: nil).granted != nil)
        #expect(h.ask("carol", hours: nil).granted != nil)
    }

    @Test func theOtherPolicyRulesJudgeABorrowAsAnyAcquire() throws {
        var h = try BorrowHarness(seats: 5, policy: "exclude LIC-1 user mallory\nmax 1 LIC-1 user alice")
        #expect(h.borrow("mallory").refusal == h.policyRefusal(.excluded(.user("mallory"))))
        #expect(h.borrow("alice").granted != nil)
        #expect(h.ask("alice", hours: nil).refusal == h.policyRefusal(.overMax(limit: 1, principal: .user("alice"))))
    }

    @Test func aBorrowedSeatRestoredFromStorageKeepsBeingBorrowed() throws {
        var stored = storedSession(1, user: "alice", leaseExpiresAt: 10 * Self.hour)
        stored.borrowLeaseID = 42
        var ledger = SeatLedger(license: license(seats: 1), restoring: [stored])
        #expect(ledger.heartbeat(stored.token, now: ts(Self.hour), policy: testPolicy) == .extended(stored, store: false))
        var again = request("alice")
        again.borrowMilliseconds = Self.hour
        #expect(ledger.acquire(again, now: ts(Self.hour), policy: testPolicy) { token(9) } == .attached(stored, durable: true))
    }
}
